import { decodeJwt } from 'jose';
import request from 'supertest';
import { loadChatConfig } from '../apps/chat/src/chat.config.js';
import { startChatApp, TEST_SECRET, type RunningChatApp } from './support/chat-app.js';
import { CHAT_RESOURCE, CLIENT_ID, issuerKey, startOidcIssuer, type RunningOidcIssuer } from './support/oidc-issuer.js';
import { signHs, unsigned } from './support/tokens.js';
import { ask, closed, connect, exchange, rawUpgrade, type UpgradeAnswer } from './support/ws-client.js';

const now = () => Math.floor(Date.now() / 1000);

/**
 * CONTRACT.md, OIDC_ISSUER / OIDC_AUDIENCE: RFC 9068 access tokens of a real
 * OpenID provider (oidc-provider on loopback) open /chat beside the app's own.
 */
describe('chat app: access tokens of an OpenID Connect issuer', () => {
  let idp: RunningOidcIssuer;
  let chat: RunningChatApp;
  /** Every credential the tests send, for the log audit. */
  const sent: string[] = [];
  const secrets: string[] = [TEST_SECRET];
  const apps: RunningChatApp[] = [];
  const issuers: RunningOidcIssuer[] = [];

  const start = async (env: Record<string, string>) => {
    const app = await startChatApp(env);
    apps.push(app);
    return app;
  };
  const startIssuer = async (...args: Parameters<typeof startOidcIssuer>) => {
    const started = await startOidcIssuer(...args);
    issuers.push(started);
    secrets.push(started.clientSecret);
    return started;
  };
  const bearer = (token: string): Array<[string, string]> => {
    sent.push(token);
    return [['Authorization', `Bearer ${token}`]];
  };
  /** Claims as the issuer puts them in its access tokens, for tokens signed by hand. */
  const issuerClaims = (overrides: Record<string, unknown> = {}) => ({
    iss: idp.issuer,
    sub: CLIENT_ID,
    aud: CHAT_RESOURCE,
    client_id: CLIENT_ID,
    scope: 'chat:read',
    jti: 'hand-made',
    iat: now(),
    exp: now() + 300,
    ...overrides,
  });
  const expectInvalidToken = (answer: UpgradeAnswer) => {
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
  };
  const expectUnavailable = (answer: UpgradeAnswer) => {
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(answer.headers['www-authenticate']).toBeUndefined();
  };
  const login = async (app: RunningChatApp) => {
    const res = await request(app.http).post('/auth/login').send({ username: 'maggie', password: 'secret' }).expect(200);
    sent.push(res.body.access_token);
    return res.body.access_token as string;
  };

  beforeAll(async () => {
    idp = await startIssuer();
    chat = await start({ OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: CHAT_RESOURCE });
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await Promise.all(issuers.map((issuer) => issuer.close().catch(() => undefined)));
  });

  describe('starting it', () => {
    it('stops with a clear error for OIDC_ISSUER without OIDC_AUDIENCE', () => {
      expect(() => loadChatConfig({ OIDC_ISSUER: 'https://login.example.com' })).toThrow(/OIDC_AUDIENCE/);
    });

    it('stops with a clear error for an issuer that is not https (nor loopback http)', async () => {
      await expect(startChatApp({ OIDC_ISSUER: 'http://login.example.com', OIDC_AUDIENCE: CHAT_RESOURCE })).rejects.toThrow(/https/);
    });

    it('asked the issuer nothing before the first issuer token arrived', async () => {
      const fresh = await start({ OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: CHAT_RESOURCE });
      const before = idp.requests.length;
      expect((await rawUpgrade(`${fresh.ws}/chat`, bearer(await login(fresh)))).status).toBe(101);
      expect(idp.requests.length).toBe(before);
    });
  });

  describe('accepted', () => {
    it('opens /chat with an issuer token in the Authorization header; whoami sub is the token’s sub', async () => {
      const token = await idp.clientToken();
      sent.push(token);
      expect(decodeJwt(token)).toMatchObject({ iss: idp.issuer, aud: CHAT_RESOURCE, sub: CLIENT_ID });
      const socket = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: CLIENT_ID, source: 'header' } });
      socket.close();
    });

    it('opens /chat with an issuer token in the subprotocol form, never echoing it', async () => {
      const token = await idp.clientToken();
      sent.push(token);
      const socket = await connect(`${chat.ws}/chat`, { protocols: ['access_token', token] });
      expect(socket.protocol).toBe('access_token');
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: CLIENT_ID, source: 'protocol' } });
      socket.close();
    });

    it('accepts a token whose typ is spelled application/at+jwt (RFC 9068 §4)', async () => {
      expect((await rawUpgrade(`${chat.ws}/chat`, bearer(await idp.sign(issuerClaims(), { typ: 'application/at+jwt' })))).status).toBe(101);
    });

    it('authenticates a pending /feed socket by an issuer token in its auth frame', async () => {
      const token = await idp.clientToken();
      sent.push(token);
      const socket = await connect(`${chat.ws}/feed`);
      const reply = await exchange(socket, 'auth', { token });
      expect(reply).toEqual({ event: 'auth', data: { sub: CLIENT_ID, expires_in: expect.any(Number) } });
      expect(reply.data.expires_in).toBeGreaterThan(200);
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: CLIENT_ID, source: 'message' } });
      socket.close();
    });

    it('refreshes a /chat socket with a fresh issuer token of the same sub, and closes it (4403) for another sub', async () => {
      const first = await idp.clientToken();
      const fresh = await idp.clientToken();
      sent.push(first, fresh);
      const socket = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${first}` } });
      await expect(exchange(socket, 'auth', { token: fresh })).resolves.toMatchObject({ event: 'auth', data: { sub: CLIENT_ID } });
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: CLIENT_ID, source: 'header' } });
      const someoneElse = await idp.sign(issuerClaims({ sub: 'maggie' }));
      sent.push(someoneElse);
      const closing = closed(socket);
      socket.send(JSON.stringify({ event: 'auth', data: { token: someoneElse } }));
      await expect(closing).resolves.toMatchObject({ code: 4403 });
    });

    it('still accepts the app’s own tokens beside the issuer’s', async () => {
      expect((await rawUpgrade(`${chat.ws}/chat`, bearer(await login(chat)))).status).toBe(101);
    });
  });

  describe('refused with 401 invalid_token before the 101', () => {
    it('a token for another audience', async () => {
      const token = await idp.clientToken({ resource: 'urn:ws-auth:another-api' });
      expect(decodeJwt(token).aud).toBe('urn:ws-auth:another-api');
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(token)));
    });

    it('a token of another issuer that the app does not trust (a second provider)', async () => {
      const stranger = await startIssuer();
      const token = await stranger.clientToken();
      expect(decodeJwt(token).iss).toBe(stranger.issuer);
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(token)));
      expect(stranger.requests).not.toContain('/jwks');
    });

    it('an expired token (signed with the issuer’s key, exp beyond the 5 s leeway)', async () => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(await idp.sign(issuerClaims({ iat: now() - 120, exp: now() - 10 })))));
    });

    it('a token whose nbf is beyond the leeway', async () => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(await idp.sign(issuerClaims({ nbf: now() + 60 })))));
    });

    it('a token of the issuer that is not an access token (typ JWT, as an ID token has)', async () => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(await idp.sign(issuerClaims(), { typ: 'JWT' }))));
    });

    it('a forged signature: the issuer’s kid and claims, another key', async () => {
      const forger = await startOidcIssuer({ key: await issuerKey(idp.key.kid) });
      issuers.push(forger);
      const forged = await forger.sign(issuerClaims());
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(forged)));
    });

    it('a tampered payload of a real issuer token', async () => {
      const [header, , signature] = (await idp.clientToken()).split('.');
      const payload = Buffer.from(JSON.stringify(issuerClaims({ sub: 'admin' }))).toString('base64url');
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(`${header}.${payload}.${signature}`)));
    });

    it('HS256 over the issuer’s claims, signed with the app’s own secret (which would pass as an own token)', async () => {
      const claims = issuerClaims({ sid: 'session-x' });
      const token = signHs(claims, TEST_SECRET, { alg: 'HS256', typ: 'at+jwt', kid: idp.key.kid });
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(token)));
      // the same claims without iss are an own token and get in: the refusal above is the issuer's
      const { iss: _, ...own } = claims;
      expect((await rawUpgrade(`${chat.ws}/chat`, bearer(signHs(own, TEST_SECRET)))).status).toBe(101);
    });

    it('HS256 over the issuer’s claims, signed with the issuer’s public key as the secret', async () => {
      const token = signHs(issuerClaims(), JSON.stringify(idp.key.publicJwk), { alg: 'HS256', typ: 'at+jwt', kid: idp.key.kid });
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(token)));
    });

    it.each(['none', 'None'])('alg %s over the issuer’s claims', async (alg) => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(unsigned(issuerClaims(), alg))));
    });

    it('an algorithm off the app’s RS256/ES256 list (PS256 in the header)', async () => {
      const [, payload, signature] = (await idp.sign(issuerClaims())).split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'PS256', typ: 'at+jwt', kid: idp.key.kid })).toString('base64url');
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(`${header}.${payload}.${signature}`)));
    });

    it('a token of the issuer without sub', async () => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(await idp.sign(issuerClaims({ sub: undefined })))));
    });
  });

  describe('while the issuer is down', () => {
    let down: RunningOidcIssuer;
    let token: string;

    beforeAll(async () => {
      down = await startIssuer();
      token = await down.clientToken();
      sent.push(token);
    });

    it('a warm cache keeps accepting its tokens (101)', async () => {
      const warm = await start({ OIDC_ISSUER: down.issuer, OIDC_AUDIENCE: CHAT_RESOURCE });
      expect((await rawUpgrade(`${warm.ws}/chat`, bearer(token))).status).toBe(101);
      await down.close();
      expect((await rawUpgrade(`${warm.ws}/chat`, bearer(token))).status).toBe(101);
      const socket = await connect(`${warm.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { sub: CLIENT_ID } });
      socket.close();
    });

    it('an app started while it is down answers 503 with Retry-After, never 401 nor a socket', async () => {
      const cold = await start({ OIDC_ISSUER: down.issuer, OIDC_AUDIENCE: CHAT_RESOURCE });
      expectUnavailable(await rawUpgrade(`${cold.ws}/chat`, bearer(token)));
      // its own tokens keep working meanwhile
      expect((await rawUpgrade(`${cold.ws}/chat`, bearer(await login(cold)))).status).toBe(101);
      // a pending /feed socket whose auth frame cannot be judged is told to try again later
      const pending = await connect(`${cold.ws}/feed`);
      const closing = closed(pending);
      pending.send(JSON.stringify({ event: 'auth', data: { token } }));
      await expect(closing).resolves.toMatchObject({ code: 1013 });
    });

    it('and recovers when the issuer returns', async () => {
      const cold = await start({ OIDC_ISSUER: down.issuer, OIDC_AUDIENCE: CHAT_RESOURCE });
      expectUnavailable(await rawUpgrade(`${cold.ws}/chat`, bearer(token)));
      down = await startIssuer({ port: down.port, key: down.key });
      expect((await rawUpgrade(`${cold.ws}/chat`, bearer(token))).status).toBe(101);
    });
  });

  it('printed no credential in any log line, response body or header', async () => {
    const answer = await rawUpgrade(`${chat.ws}/chat`, bearer(await idp.sign(issuerClaims({ exp: now() - 60 }))));
    expect(answer.body + JSON.stringify(answer.headers)).not.toContain(sent.at(-1)!.split('.')[2]);
    const lines = apps.flatMap((app) => app.logs.lines);
    expect(lines.some((line) => line.includes('Handshake refused'))).toBe(true);
    expect(lines.some((line) => line.includes('cannot be fetched'))).toBe(true);
    for (const app of apps) {
      app.logs.assertNoneContain(...secrets, ...sent);
    }
  });
});
