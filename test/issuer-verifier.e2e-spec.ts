import { decodeJwt, decodeProtectedHeader } from 'jose';
import WebSocket from 'ws';
import { IssuerVerifier, JwtVerifier, type IssuerVerifierOptions } from 'nestjs-ws-auth';
import { CHAT_RESOURCE, CLIENT_ID, issuerKey, startOidcIssuer, type RunningOidcIssuer } from './support/oidc-issuer.js';
import { startScopedGatewayApp, type RunningScopedGatewayApp } from './support/scoped-gateway-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, connect, rawUpgrade } from './support/ws-client.js';

const OWN_SECRET = 'own-secret-of-the-scoped-gateway-app-000';

/**
 * The library used directly: `IssuerVerifier` in `WsAuthModule.forRoot`,
 * scopes from the issuer's tokens enforced per message by `@WsScopes()`, key
 * rotation, and several trusted issuers at once. The issuer is a real
 * oidc-provider on loopback.
 */
describe('IssuerVerifier with a real OpenID provider', () => {
  const issuers: RunningOidcIssuer[] = [];
  const apps: RunningScopedGatewayApp[] = [];
  const sent: string[] = [];

  const startIssuer = async (...args: Parameters<typeof startOidcIssuer>) => {
    const started = await startOidcIssuer(...args);
    issuers.push(started);
    return started;
  };
  const startApp = async (...verifiers: ConstructorParameters<typeof IssuerVerifier>[0][]) => {
    const app = await startScopedGatewayApp(verifiers.map((options) => new IssuerVerifier(options)));
    apps.push(app);
    return app;
  };
  const trust = (idp: RunningOidcIssuer, options: Partial<IssuerVerifierOptions> = {}): IssuerVerifierOptions => ({
    issuer: idp.issuer,
    audience: CHAT_RESOURCE,
    ...options,
  });
  const open = (url: string, token: string) => {
    sent.push(token);
    return connect(url, { headers: { Authorization: `Bearer ${token}` } });
  };
  const upgrade = (url: string, token: string) => {
    sent.push(token);
    return rawUpgrade(url, [['Authorization', `Bearer ${token}`]]);
  };

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await Promise.all(issuers.map((idp) => idp.close().catch(() => undefined)));
  });

  describe('scopes from the token, per message', () => {
    let idp: RunningOidcIssuer;
    let app: RunningScopedGatewayApp;

    beforeAll(async () => {
      idp = await startIssuer();
      app = await startApp(trust(idp));
    });

    it('hands the handler the principal: sub, client_id, scopes and issuer', async () => {
      const socket = await open(app.url, await idp.clientToken({ scope: 'chat:read' }));
      await expect(ask(socket, 'whoami')).resolves.toEqual({
        event: 'whoami',
        data: { sub: CLIENT_ID, scopes: ['chat:read'], issuer: idp.issuer, clientId: CLIENT_ID },
      });
      socket.close();
    });

    it('refuses a message whose scope the token lacks, and the socket stays open', async () => {
      const token = await idp.clientToken({ scope: 'chat:read' });
      expect(decodeJwt(token).scope).toBe('chat:read');
      const socket = await open(app.url, token);
      await expect(ask(socket, 'write')).resolves.toEqual({
        event: 'exception',
        data: { status: 'error', message: 'Forbidden', error: 'insufficient_scope' },
      });
      expect(socket.readyState).toBe(WebSocket.OPEN);
      await expect(ask(socket, 'read')).resolves.toEqual({ event: 'read', data: { ok: true } });
      socket.close();
    });

    it('serves the message when the token grants the scope', async () => {
      const socket = await open(app.url, await idp.clientToken({ scope: 'chat:read chat:write' }));
      await expect(ask(socket, 'write')).resolves.toEqual({ event: 'written', data: { ok: true } });
      socket.close();
    });
  });

  describe('an ES256 issuer (JOSE signatures are raw r||s, not DER)', () => {
    let idp: RunningOidcIssuer;
    let app: RunningScopedGatewayApp;

    beforeAll(async () => {
      idp = await startIssuer({ key: await issuerKey('ec-key', 'ES256') });
      app = await startApp(trust(idp, { algorithms: ['ES256'] }));
    });

    it('opens a socket for a real ES256 access token, and again for the same token (keys in hand)', async () => {
      const token = await idp.clientToken({ scope: 'chat:read' });
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: 'ec-key', typ: 'at+jwt' });
      for (let i = 0; i < 2; i++) {
        const socket = await open(app.url, token);
        await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { sub: CLIENT_ID, issuer: idp.issuer } });
        socket.close();
      }
      expect(idp.requests.filter((path) => path === '/jwks')).toEqual(['/jwks']);
    });

    it('refuses the same token with its signature re-encoded as DER', async () => {
      const token = await idp.clientToken();
      const [header, payload, signature] = token.split('.');
      const raw = Buffer.from(signature, 'base64url');
      const der = (bytes: Buffer) => {
        const trimmed = bytes.subarray(bytes.findIndex((byte, i) => byte !== 0 || i === bytes.length - 1));
        const body = trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
        return Buffer.concat([Buffer.from([0x02, body.length]), body]);
      };
      const r = der(raw.subarray(0, 32));
      const s = der(raw.subarray(32));
      const asDer = Buffer.concat([Buffer.from([0x30, r.length + s.length]), r, s]).toString('base64url');
      expect((await upgrade(app.url, `${header}.${payload}.${asDer}`)).status).toBe(401);
      expect((await upgrade(app.url, token)).status).toBe(101);
    });

    it('refuses an ES256 token whose signature has one byte changed, and one signed RS256 under its kid', async () => {
      const token = await idp.clientToken();
      const [header, payload, signature] = token.split('.');
      const bytes = Buffer.from(signature, 'base64url');
      bytes[10] ^= 1;
      expect((await upgrade(app.url, `${header}.${payload}.${bytes.toString('base64url')}`)).status).toBe(401);
      const rsaForger = await startIssuer({ key: await issuerKey('ec-key') });
      const claims = decodeJwt(token);
      expect((await upgrade(app.url, await rsaForger.sign({ ...claims, iss: idp.issuer }))).status).toBe(401);
    });
  });

  describe('key rotation', () => {
    it('accepts the key of a provider restarted with a new JWKS after one refetch', async () => {
      let idp = await startIssuer();
      const app = await startApp(trust(idp, { keysCooldownMs: 0 }));
      expect((await upgrade(app.url, await idp.clientToken())).status).toBe(101);
      const fetchesBefore = idp.requests.filter((path) => path === '/jwks').length;

      await idp.close();
      const rotated = await issuerKey('rotated-key');
      idp = await startIssuer({ port: idp.port, key: rotated });
      const token = await idp.clientToken();
      expect(decodeProtectedHeader(token).kid).toBe('rotated-key');

      expect((await upgrade(app.url, token)).status).toBe(101);
      expect((await upgrade(app.url, token)).status).toBe(101);
      // the restarted provider served the new JWKS exactly once: one refetch, then the cache
      expect(idp.requests.filter((path) => path === '/jwks')).toEqual(['/jwks']);
      expect(fetchesBefore).toBe(1);
    });

    it('within the cooldown, refuses an unknown kid (401) without asking the issuer again', async () => {
      let idp = await startIssuer();
      const app = await startApp(trust(idp, { keysCooldownMs: 60_000 }));
      expect((await upgrade(app.url, await idp.clientToken())).status).toBe(101);

      await idp.close();
      idp = await startIssuer({ port: idp.port, key: await issuerKey('too-new') });
      const answer = await upgrade(app.url, await idp.clientToken());
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect(idp.requests).not.toContain('/jwks');
    });
  });

  describe('several issuers at once, beside the app’s own JwtVerifier', () => {
    let first: RunningOidcIssuer;
    let second: RunningOidcIssuer;
    let app: RunningScopedGatewayApp;

    beforeAll(async () => {
      [first, second] = await Promise.all([startIssuer(), startIssuer()]);
      app = await startScopedGatewayApp([
        new IssuerVerifier(trust(first)),
        new IssuerVerifier(trust(second)),
        new JwtVerifier({ secret: OWN_SECRET }),
      ]);
      apps.push(app);
    });

    it.each([0, 1])('accepts the tokens of trusted issuer #%i, each judged by its own keys', async (index) => {
      const idp = [first, second][index];
      const socket = await open(app.url, await idp.clientToken());
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { issuer: idp.issuer, sub: CLIENT_ID } });
      socket.close();
    });

    it('refuses a token naming one trusted issuer but signed with the other’s key', async () => {
      const crossed = await second.sign({
        iss: first.issuer,
        sub: CLIENT_ID,
        aud: CHAT_RESOURCE,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 60,
      });
      expect((await upgrade(app.url, crossed)).status).toBe(401);
    });

    it('still accepts the app’s own token, and refuses an untrusted issuer’s', async () => {
      expect((await upgrade(app.url, signHs(ownClaims(), OWN_SECRET))).status).toBe(101);
      const stranger = await startIssuer();
      expect((await upgrade(app.url, await stranger.clientToken())).status).toBe(401);
    });
  });

  it('printed no credential in any log line', () => {
    for (const app of apps) {
      app.logs.assertNoneContain(OWN_SECRET, ...issuers.map((idp) => idp.clientSecret), ...sent);
    }
    expect(sent.length).toBeGreaterThan(10);
  });
});
