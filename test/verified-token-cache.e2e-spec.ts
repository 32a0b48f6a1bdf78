import { JwtVerifier, WsSessionService, type JwtClaims } from 'nestjs-ws-auth';
import { startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, closed, connect, rawUpgrade } from './support/ws-client.js';

const SECRET = 'verified-token-cache-e2e-secret-0123456789';
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const upgrade = (url: string, token: string) => rawUpgrade(url, [['Authorization', `Bearer ${token}`]]);

/**
 * The verified-token cache sits in the verifier alone: a token it remembers
 * skips the signature check, never the revocation check the handshake makes
 * on every connection.
 */
describe('a remembered token and revocation', () => {
  let server: RunningTestApp;
  let sessions: WsSessionService;
  /** The claims object each handshake's principal was built from: the same object means a cache hit. */
  const seen: JwtClaims[] = [];

  beforeAll(async () => {
    const verifier = new JwtVerifier({ secret: SECRET, requiredClaims: ['sub', 'sid', 'exp'], toPrincipal: (claims) => (seen.push(claims), { sub: claims.sub }) });
    server = await startTestApp({ auth: { verifiers: [verifier] } });
    sessions = server.app.get(WsSessionService);
  });
  afterAll(() => server?.close());
  beforeEach(() => seen.splice(0));

  it('refuses a token of a revoked session although the verifier answers it from its cache', async () => {
    const token = signHs(ownClaims({ sid: 'cached-then-revoked' }), SECRET);
    const first = await connect(`${server.ws}/secure`, bearer(token));
    const second = await connect(`${server.ws}/secure`, bearer(token));
    await expect(ask(second, 'whoami')).resolves.toMatchObject({ data: { subject: 'maggie' } });
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]); // the second handshake was a cache hit

    const closing = [closed(first), closed(second)];
    await sessions.revokeSession('cached-then-revoked', Date.now() + 60_000);
    await expect(Promise.all(closing)).resolves.toEqual([expect.objectContaining({ code: 4403 }), expect.objectContaining({ code: 4403 })]);
    const answer = await upgrade(`${server.ws}/secure`, token);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(seen[2]).toBe(seen[0]); // still remembered by the verifier: the refusal came from the session check
  });

  it('refuses a remembered token of a subject revoked since', async () => {
    const token = signHs(ownClaims({ sub: 'lisa', sid: 'lisa-1', iat: Math.floor(Date.now() / 1000) - 10 }), SECRET);
    (await connect(`${server.ws}/secure`, bearer(token))).close();
    await sessions.revokeSubject('lisa', 900);
    expect((await upgrade(`${server.ws}/secure`, token)).status).toBe(401);
    expect(seen[1]).toBe(seen[0]);
  });

  it('still opens sockets for another session of the same user with its own remembered token', async () => {
    const token = signHs(ownClaims({ sid: 'other-session' }), SECRET);
    for (let i = 0; i < 2; i++) {
      const socket = await connect(`${server.ws}/secure`, bearer(token));
      socket.close();
    }
    expect(seen[1]).toBe(seen[0]);
  });
});
