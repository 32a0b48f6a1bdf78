import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { getWsAuth, JwtVerifier, WsAuth, WsAuthInfo, WsSessionService } from 'nestjs-ws-auth';
import type { WebSocket } from 'ws';
import { connections, SecureGateway, startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { closed, connect, exchange, rawUpgrade } from './support/ws-client.js';

const SECRET = 'sessions-test-secret-0123456789abcdef';
const now = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown> = {}) => signHs(ownClaims(claims), SECRET);
const bearer = (value: string) => ({ headers: { Authorization: `Bearer ${value}` } });

/** Sockets reach this gateway only once authenticated by their first frame. */
@WsAuth({ sources: ['header'], firstMessage: { timeoutMs: 2000 } })
@WebSocketGateway({ path: '/pending' })
class PendingGateway implements OnGatewayConnection {
  handleConnection(client: WebSocket): void {
    connections.push({ subject: getWsAuth(client)?.subject, url: '/pending' });
  }

  @SubscribeMessage('whoami')
  whoami(@WsAuthInfo() auth: WsAuthInfo) {
    return { event: 'whoami', data: { subject: auth.subject, source: auth.source } };
  }
}

/** For browsers: a refused credential gets an upgrade closed at once with a readable code. */
@WsAuth({ sources: ['protocol'], acceptThenClose: true })
@WebSocketGateway({ path: '/browser' })
class BrowserGateway implements OnGatewayConnection {
  handleConnection(client: WebSocket): void {
    connections.push({ subject: getWsAuth(client)?.subject, url: '/browser' });
  }
}

describe('sessions: revocation, disconnects, pending sockets and accept-then-close', () => {
  let server: RunningTestApp;
  let sessions: WsSessionService;

  beforeAll(async () => {
    server = await startTestApp({
      gateways: [SecureGateway, PendingGateway, BrowserGateway],
      auth: { verifiers: [new JwtVerifier({ secret: SECRET })], maxPendingSockets: 3, allowedOrigins: ['https://app.example'] },
    });
    sessions = server.app.get(WsSessionService);
  });
  afterAll(() => server?.close());
  beforeEach(() => connections.splice(0));

  describe('WsSessionService', () => {
    it('revokeSession closes that session’s sockets with 4403, spares the user’s other session, and refuses its token', async () => {
      const revokedToken = token({ sid: 'laptop' });
      const laptop = await connect(`${server.ws}/secure`, bearer(revokedToken));
      const phone = await connect(`${server.ws}/secure`, bearer(token({ sid: 'phone' })));
      const laptopClosed = closed(laptop);
      await sessions.revokeSession('laptop', Date.now() + 60_000);
      await expect(laptopClosed).resolves.toEqual({ code: 4403, reason: 'Session revoked' });
      await expect(exchange(phone, 'whoami', undefined)).resolves.toMatchObject({ data: { subject: 'maggie' } });
      const answer = await rawUpgrade(`${server.ws}/secure`, [['Authorization', `Bearer ${revokedToken}`]]);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      phone.close();
    });

    it('revokeSubject ends every session issued until then, and a later login works', async () => {
      const earlier = token({ sub: 'bart', sid: 'b1', iat: now() - 5 });
      const socket = await connect(`${server.ws}/secure`, bearer(earlier));
      const closing = closed(socket);
      await sessions.revokeSubject('bart', 900);
      await expect(closing).resolves.toMatchObject({ code: 4403 });
      expect((await rawUpgrade(`${server.ws}/secure`, [['Authorization', `Bearer ${earlier}`]])).status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the next iat is a later second
      const later = await connect(`${server.ws}/secure`, bearer(token({ sub: 'bart', sid: 'b2', iat: now() })));
      later.close();
    });

    it('disconnectSession closes the sockets but leaves the token valid', async () => {
      const value = token({ sid: 'kicked' });
      const socket = await connect(`${server.ws}/secure`, bearer(value));
      const closing = closed(socket);
      await sessions.disconnectSession('kicked');
      await expect(closing).resolves.toMatchObject({ code: 4403 });
      (await connect(`${server.ws}/secure`, bearer(value))).close();
    });

    it('follows a socket to the session of the token it refreshed to', async () => {
      const socket = await connect(`${server.ws}/secure`, bearer(token({ sid: 'before-refresh' })));
      await exchange(socket, 'auth', { token: token({ sid: 'after-refresh' }) });
      await sessions.revokeSession('before-refresh', Date.now() + 60_000);
      await expect(exchange(socket, 'whoami', undefined)).resolves.toMatchObject({ event: 'whoami' });
      const closing = closed(socket);
      await sessions.revokeSession('after-refresh', Date.now() + 60_000);
      await expect(closing).resolves.toMatchObject({ code: 4403 });
    });
  });

  describe('pending sockets', () => {
    it('reach handleConnection only after their auth frame, with the principal', async () => {
      const socket = await connect(`${server.ws}/pending`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(connections).toEqual([]);
      await expect(exchange(socket, 'auth', { token: token() })).resolves.toMatchObject({ data: { sub: 'maggie' } });
      await expect(exchange(socket, 'whoami', undefined)).resolves.toEqual({ event: 'whoami', data: { subject: 'maggie', source: 'message' } });
      expect(connections).toEqual([{ subject: 'maggie', url: '/pending' }]);
      socket.close();
    });

    it('answer 503 past maxPendingSockets, and admit again once one leaves', async () => {
      const waiting = await Promise.all([1, 2, 3].map(() => connect(`${server.ws}/pending`)));
      const answer = await rawUpgrade(`${server.ws}/pending`);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('1');
      // Authenticated handshakes are not pending: they still get in.
      (await connect(`${server.ws}/pending`, bearer(token()))).close();
      const leaving = closed(waiting[0]);
      waiting[0].close();
      await leaving;
      const next = await connect(`${server.ws}/pending`);
      [next, ...waiting].forEach((socket) => socket.close());
    });
  });

  describe('acceptThenClose', () => {
    it.each<[string, number, string[] | undefined]>([
      ['no credential', 4401, undefined],
      ['a bad token', 4401, ['access_token', 'not.a.token']],
    ])('upgrades %s and closes it at once with %i, never reaching the gateway', async (_, code, protocols) => {
      const socket = await connect(`${server.ws}/browser`, { protocols });
      await expect(closed(socket)).resolves.toEqual({ code, reason: 'Unauthorized' });
      expect(connections).toEqual([]);
    });

    it('still refuses a foreign Origin with 403: no socket for another site’s page', async () => {
      const answer = await rawUpgrade(`${server.ws}/browser`, [['Origin', 'https://evil.example'], ['Sec-WebSocket-Protocol', `access_token, ${token()}`]]);
      expect(answer.status).toBe(403);
    });

    it('admits a good credential from an allowed Origin as usual', async () => {
      const socket = await connect(`${server.ws}/browser`, { protocols: ['access_token', token()], origin: 'https://app.example' });
      expect(socket.protocol).toBe('access_token');
      expect(connections).toEqual([{ subject: 'maggie', url: '/browser' }]);
      socket.close();
    });
  });
});
