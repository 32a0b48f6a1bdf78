import { WebSocketGateway } from '@nestjs/websockets';
import { JwtVerifier, WsAuth, WsCloseCode, type WsAuthAuditEvent, type WsTokenVerifier, type WsVerifiedToken } from 'nestjs-ws-auth';
import type WebSocket from 'ws';
import { eventually } from './support/eventually.js';
import { SecureGateway, startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, closed, connect, rawUpgrade } from './support/ws-client.js';

const SECRET = 'limits-test-secret-0123456789abcdef';
const LIMIT = 2;
const tokenOf = (sub: string) => signHs(ownClaims({ sub, sid: `${sub}-session` }), SECRET);
const bearer = (sub: string) => ({ headers: { Authorization: `Bearer ${tokenOf(sub)}` } });

@WsAuth({ sources: ['header'], firstMessage: true })
@WebSocketGateway({ path: '/pending' })
class PendingGateway {}

@WsAuth({ sources: ['header'], maxSocketsPerSubject: 1 })
@WebSocketGateway({ path: '/single' })
class SingleSocketGateway {}

@WsAuth({ sources: ['header'], acceptThenClose: true })
@WebSocketGateway({ path: '/browser' })
class BrowserGateway {}

/**
 * Holds every verification until `size` of them are waiting, then lets them
 * all go in one tick: handshakes that decide at the same time, for real.
 */
class BarrierVerifier implements WsTokenVerifier {
  private waiting: Array<() => void> = [];
  size = 0;

  constructor(private readonly inner: JwtVerifier) {}

  async verify(token: string): Promise<WsVerifiedToken | null> {
    const verified = await this.inner.verify(token);
    if (this.size > 0) {
      await new Promise<void>((release) => {
        this.waiting.push(release);
        if (this.waiting.length === this.size) {
          const all = this.waiting;
          this.waiting = [];
          this.size = 0;
          all.forEach((go) => go());
        }
      });
    }
    return verified;
  }
}

/** Issue 17: `maxSocketsPerSubject`, per instance, exact, freed on close. */
describe('maxSocketsPerSubject', () => {
  let server: RunningTestApp;
  const barrier = new BarrierVerifier(new JwtVerifier({ secret: SECRET }));
  const events: WsAuthAuditEvent[] = [];
  const open: WebSocket[] = [];
  const hold = async (path: string, sub: string) => {
    const socket = await connect(`${server.ws}${path}`, bearer(sub));
    open.push(socket);
    return socket;
  };
  const closeAll = async () => {
    await Promise.all(open.splice(0).map(async (socket) => {
      if (socket.readyState !== socket.CLOSED) {
        const done = closed(socket);
        socket.close();
        await done;
      }
    }));
  };
  /** A handshake of `sub` on `path`, as the server answers it (no socket is kept). */
  const attempt = (path: string, sub: string) => rawUpgrade(`${server.ws}${path}`, [['Authorization', `Bearer ${tokenOf(sub)}`]]);

  // Fresh subjects in each test: a slot is freed when the server's side of a
  // TCP connection closes, which may follow the client's close by a moment.
  let run = 0;
  beforeEach(() => {
    run += 1;
  });
  const user = (name: string) => `${name}-${run}`;

  beforeAll(async () => {
    server = await startTestApp({
      gateways: [SecureGateway, PendingGateway, SingleSocketGateway, BrowserGateway],
      auth: { verifiers: [barrier], maxSocketsPerSubject: LIMIT, audit: (event) => events.push(event) },
    });
  });
  afterEach(closeAll);
  afterAll(() => server?.close());

  it('refuses the handshake past the limit with 429 and Retry-After, and another subject is unaffected', async () => {
    await hold('/secure', user('maggie'));
    await hold('/secure', user('maggie'));
    const refused = await attempt('/secure', user('maggie'));
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.headers['www-authenticate']).toBeUndefined();
    expect(refused.body).not.toContain(tokenOf(user('maggie')).split('.')[1]);
    await expect(hold('/secure', user('bart'))).resolves.toBeDefined();
    await expect(hold('/secure', user('bart'))).resolves.toBeDefined();
    expect(events.at(-3)).toMatchObject({ type: 'handshake_refused', code: 'too_many_connections', status: 429, path: '/secure' });
  });

  it('frees a slot when one of the subject\'s sockets closes, and only one', async () => {
    const first = await hold('/secure', user('maggie'));
    await hold('/secure', user('maggie'));
    expect((await attempt('/secure', user('maggie'))).status).toBe(429);
    const done = closed(first);
    first.close();
    await done;
    // The server frees the slot when its side of the TCP connection closes, which may follow the client's by a moment.
    await eventually(() => hold('/secure', user('maggie')), 5000, 20);
    expect((await attempt('/secure', user('maggie'))).status).toBe(429);
  });

  it('counts the subject\'s sockets on every gateway, and a gateway\'s own limit decides there', async () => {
    await hold('/secure', user('maggie'));
    expect((await attempt('/single', user('maggie'))).status).toBe(429); // one socket elsewhere already fills /single's limit of 1
    await hold('/single', user('bart'));
    expect((await attempt('/single', user('bart'))).status).toBe(429);
    await hold('/secure', user('bart')); // the module's limit (2) counts bart's /single socket too
    expect((await attempt('/secure', user('bart'))).status).toBe(429);
  });

  it('lets exactly one of several handshakes deciding at the same time take the last slot', async () => {
    await hold('/secure', user('maggie'));
    const racing = 6;
    barrier.size = racing;
    const answers = await Promise.all(Array.from({ length: racing }, () => attempt('/secure', user('maggie'))));
    expect(answers.map((answer) => answer.status).sort()).toEqual([101, 429, 429, 429, 429, 429]);
  });

  it('gives the slot back when an upgrade it was taken for never completes', async () => {
    await hold('/secure', user('maggie'));
    // rawUpgrade destroys its socket the moment the 101 arrives: the slot must not leak.
    for (let i = 0; i < 3; i += 1) {
      await eventually(async () => expect((await attempt('/secure', user('maggie'))).status).toBe(101), 5000, 20);
    }
    await eventually(() => hold('/secure', user('maggie')), 5000, 20);
    expect((await attempt('/secure', user('maggie'))).status).toBe(429);
  });

  it('counts a pending socket once its auth frame authenticates it; an auth past the limit closes it with 4429', async () => {
    await hold('/secure', user('maggie'));
    const pending = await connect(`${server.ws}/pending`);
    open.push(pending);
    expect((await ask(pending, 'auth', { token: tokenOf(user('maggie')) })).event).toBe('auth');
    expect((await attempt('/secure', user('maggie'))).status).toBe(429);

    const late = await connect(`${server.ws}/pending`);
    open.push(late);
    const done = closed(late);
    late.send(JSON.stringify({ event: 'auth', data: { token: tokenOf(user('maggie')) } }));
    expect(await done).toEqual({ code: WsCloseCode.TooManyConnections, reason: 'Too many connections' });
    expect(events.at(-1)).toMatchObject({ type: 'socket_closed', reason: 'too_many_connections', closeCode: 4429, path: '/pending' });

    const other = await connect(`${server.ws}/pending`);
    open.push(other);
    expect((await ask(other, 'auth', { token: tokenOf(user('bart')) })).data.sub).toBe(user('bart'));
  });

  it('closes an acceptThenClose socket past the limit with 4429, which a browser can read', async () => {
    await hold('/secure', user('maggie'));
    await hold('/secure', user('maggie'));
    const socket = await connect(`${server.ws}/browser`, bearer(user('maggie')));
    expect(await closed(socket)).toEqual({ code: 4429, reason: 'Too many connections' });
  });
});

describe('maxSocketsPerSubject unset', () => {
  let server: RunningTestApp;
  afterAll(() => server?.close());

  it('is no limit: one subject opens many sockets', async () => {
    server = await startTestApp({ gateways: [SecureGateway], auth: { verifiers: [new JwtVerifier({ secret: SECRET })] } });
    const sockets = await Promise.all(Array.from({ length: 30 }, () => connect(`${server.ws}/secure`, bearer('maggie'))));
    expect(sockets).toHaveLength(30);
    await Promise.all(sockets.map(async (socket) => {
      const done = closed(socket);
      socket.close();
      await done;
    }));
  });
});

describe('maxSocketsPerSubject option', () => {
  it.each([0, -1, 1.5, Number.NaN])('refuses %p at the bootstrap', async (limit) => {
    await expect(
      startTestApp({ gateways: [SecureGateway], auth: { verifiers: [new JwtVerifier({ secret: SECRET })], maxSocketsPerSubject: limit } }),
    ).rejects.toThrow('maxSocketsPerSubject must be a whole number, at least 1');
  });

  it("refuses a gateway's own limit of 0 at the bootstrap, naming the gateway", async () => {
    @WsAuth({ sources: ['header'], maxSocketsPerSubject: 0 })
    @WebSocketGateway({ path: '/none' })
    class NoSocketGateway {}
    await expect(startTestApp({ gateways: [NoSocketGateway], auth: { verifiers: [new JwtVerifier({ secret: SECRET })] } })).rejects.toThrow(
      /NoSocketGateway's maxSocketsPerSubject must be a whole number, at least 1/,
    );
  });
});

