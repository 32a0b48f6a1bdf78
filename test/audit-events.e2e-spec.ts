import { WebSocketGateway } from '@nestjs/websockets';
import { JwtVerifier, WsAuth, WsSessionService, type WsAuthAuditEvent } from 'nestjs-ws-auth';
import { SecureGateway, startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { closed, connect, exchange, rawUpgrade } from './support/ws-client.js';

const SECRET = 'audit-test-secret-0123456789abcdefgh';
const ORIGIN = 'https://app.example';
const token = (claims: Record<string, unknown> = {}) => signHs(ownClaims(claims), SECRET);

@WsAuth({ sources: ['header'], firstMessage: { timeoutMs: 300 } })
@WebSocketGateway({ path: '/pending' })
class PendingGateway {}

@WsAuth({ sources: ['protocol'], acceptThenClose: true })
@WebSocketGateway({ path: '/browser' })
class BrowserGateway {}

/** Issue 7: every accepted and refused handshake and every forced close is an audit event, never with a credential. */
describe('audit events', () => {
  let server: RunningTestApp;
  const events: WsAuthAuditEvent[] = [];
  const sent: string[] = [];
  const last = () => events.at(-1)!;
  /** The events recorded while `act` ran (and shortly after). */
  const during = async (act: () => Promise<unknown>) => {
    const from = events.length;
    await act();
    await new Promise((resolve) => setTimeout(resolve, 50));
    return events.slice(from);
  };

  beforeAll(async () => {
    server = await startTestApp({
      gateways: [SecureGateway, PendingGateway, BrowserGateway],
      auth: { verifiers: [new JwtVerifier({ secret: SECRET })], allowedOrigins: [ORIGIN], audit: (event) => events.push(event) },
    });
  });
  afterAll(() => server?.close());

  it('records an accepted handshake with subject, session, source, origin and path', async () => {
    const value = token({ sid: 's-accepted' });
    sent.push(value);
    const recorded = await during(async () => (await connect(`${server.ws}/secure`, { origin: ORIGIN, headers: { Authorization: `Bearer ${value}` } })).close());
    expect(recorded[0]).toEqual({
      type: 'handshake_accepted',
      path: '/secure',
      origin: ORIGIN,
      subject: 'maggie',
      sessionId: 's-accepted',
      source: 'header',
      at: expect.any(Number),
    });
  });

  it.each<[string, Array<[string, string]>, string, number]>([
    ['no credential', [], 'missing_credential', 401],
    ['a forged token', [['Authorization', `Bearer ${signHs(ownClaims(), 'forged-secret-forged-secret-forged!!')}`]], 'invalid_token', 401],
    ['two credentials', [['Authorization', 'Bearer a.b.c'], ['Authorization', 'Bearer a.b.c']], 'invalid_request', 400],
    ['a foreign Origin', [['Origin', 'https://evil.example']], 'origin_not_allowed', 403],
  ])('records a refused handshake for %s with its code and status', async (_, headers, code, status) => {
    headers.filter(([name]) => name === 'Authorization').forEach(([, value]) => sent.push(value));
    const recorded = await during(() => rawUpgrade(`${server.ws}/secure`, headers));
    expect(recorded).toEqual([{ type: 'handshake_refused', path: '/secure', code, status, at: expect.any(Number), origin: headers.find(([name]) => name === 'Origin')?.[1] }]);
  });

  it('records a pending socket, its authentication and its refresh', async () => {
    const first = token({ sid: 's-pending' });
    const second = token({ sid: 's-refreshed' });
    sent.push(first, second);
    const recorded = await during(async () => {
      const socket = await connect(`${server.ws}/pending`);
      await exchange(socket, 'auth', { token: first });
      await exchange(socket, 'auth', { token: second });
      socket.close();
    });
    expect(recorded.map((event) => [event.type, event.sessionId, event.source])).toEqual([
      ['handshake_pending', undefined, undefined],
      ['socket_authenticated', 's-pending', 'message'],
      ['socket_refreshed', 's-refreshed', 'message'],
    ]);
  });

  it.each<[string, (socket: import('ws').WebSocket) => void, string, number]>([
    ['silence', () => undefined, 'auth_timeout', 4408],
    ['a frame over 16 KiB', (socket) => socket.send('x'.repeat(17 * 1024)), 'frame_too_large', 1009],
    ['another event', (socket) => socket.send(JSON.stringify({ event: 'whoami' })), 'refused', 4401],
  ])('records the close of a pending socket after %s', async (_, act, reason, closeCode) => {
    const socket = await connect(`${server.ws}/pending`);
    const recorded = await during(async () => {
      const closing = closed(socket);
      act(socket);
      await closing;
    });
    expect(recorded).toEqual([{ type: 'socket_closed', path: '/pending', reason, closeCode, at: expect.any(Number) }]);
  });

  it('records a refusal closed after the upgrade (acceptThenClose) with its close code', async () => {
    const recorded = await during(async () => closed(await connect(`${server.ws}/browser`)));
    expect(recorded).toEqual([
      { type: 'handshake_refused', path: '/browser', reason: 'refused', code: 'missing_credential', closeCode: 4401, at: expect.any(Number) },
    ]);
  });

  it('records forced closes: expiry and revocation, with the subject', async () => {
    const now = Math.floor(Date.now() / 1000);
    const short = token({ sid: 's-expiring', exp: now + 1 });
    const revoked = token({ sid: 's-revoked' });
    sent.push(short, revoked);
    const expiring = await connect(`${server.ws}/secure`, { headers: { Authorization: `Bearer ${short}` } });
    const expired = await during(() => closed(expiring, 3000));
    expect(expired.find((event) => event.type === 'socket_closed')).toMatchObject({ reason: 'expired', closeCode: 4401, subject: 'maggie', sessionId: 's-expiring', path: '/secure' });

    const socket = await connect(`${server.ws}/secure`, { headers: { Authorization: `Bearer ${revoked}` } });
    const recorded = await during(async () => {
      const closing = closed(socket);
      await server.app.get(WsSessionService).revokeSession('s-revoked', Date.now() + 60_000);
      await closing;
    });
    expect(recorded).toEqual([
      { type: 'socket_closed', path: '/secure', reason: 'revoked', closeCode: 4403, subject: 'maggie', sessionId: 's-revoked', at: expect.any(Number), origin: undefined },
    ]);
  });

  it('never carries a credential', () => {
    const everything = JSON.stringify(events);
    expect(events.length).toBeGreaterThan(10);
    for (const value of sent.filter((value) => value.length > 10)) {
      expect(everything).not.toContain(value);
    }
  });
});
