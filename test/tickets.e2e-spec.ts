import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import request from 'supertest';
import WebSocket from 'ws';
import { startChatApp, TEST_SECRET, type RunningChatApp } from './support/chat-app.js';
import { eventually } from './support/eventually.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, closed, connect, rawUpgrade, type UpgradeAnswer } from './support/ws-client.js';

const describeWithRedis = redisServerAvailable() ? describe : describe.skip;

const BARE_CHALLENGE = /^Bearer realm="[^"]+"$/;
const INVALID_TOKEN = /^Bearer realm="[^"]+", error="invalid_token"$/;
const INVALID_REQUEST = /^Bearer realm="[^"]+", error="invalid_request"$/;

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every credential the tests send, so each log audit can look for all of them. */
const sent: string[] = [];

async function login(chat: RunningChatApp, username = 'maggie', password = 'secret'): Promise<string> {
  const res = await request(chat.http).post('/auth/login').send({ username, password }).expect(200);
  sent.push(res.body.access_token);
  return res.body.access_token;
}

/** POST /auth/ticket, as a browser page of `origin` (or a non-browser client) would send it. */
function mint(chat: RunningChatApp, token?: string, origin?: string) {
  const req = request(chat.http).post('/auth/ticket');
  if (token !== undefined) {
    sent.push(token);
    req.set('Authorization', `Bearer ${token}`);
  }
  if (origin !== undefined) {
    req.set('Origin', origin);
  }
  return req.then((res) => {
    if (typeof res.body?.ticket === 'string') {
      sent.push(res.body.ticket);
    }
    return res;
  });
}

async function ticketFor(chat: RunningChatApp, token: string, origin?: string): Promise<string> {
  const res = await mint(chat, token, origin);
  expect(res.status).toBe(200);
  return res.body.ticket;
}

/** The upgrade answer to `/chat?ticket=`. */
function redeem(chat: RunningChatApp, ticket: string, headers: Array<[string, string]> = []): Promise<UpgradeAnswer> {
  sent.push(ticket);
  return rawUpgrade(`${chat.ws}/chat?ticket=${encodeURIComponent(ticket)}`, headers);
}

function expectNoCredentialIn(answer: { body: unknown; headers: unknown }, ...credentials: string[]): void {
  const seen = (typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)) + JSON.stringify(answer.headers);
  for (const credential of credentials) {
    expect(seen).not.toContain(credential);
  }
}

/** CONTRACT.md: POST /auth/ticket and `?ticket=` on /chat, with the embedded memory store. */
describe('tickets (memory store)', () => {
  let chat: RunningChatApp;
  let token: string;

  beforeAll(async () => {
    chat = await startChatApp();
    token = await login(chat);
  });
  afterAll(async () => {
    await chat?.close();
  });

  describe('POST /auth/ticket', () => {
    it('answers 200 {ticket, expires_in} with Cache-Control: no-store', async () => {
      const res = await mint(chat, token);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ ticket: expect.any(String), expires_in: 30 });
      // At least 128 random bits, URL-safe: 43 base64url characters are 256.
      expect(res.body.ticket).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      expectNoCredentialIn(res, token);
    });

    it('opens /feed too, and a bad ticket there is refused at the handshake rather than left pending', async () => {
      const socket = await connect(`${chat.ws}/feed?ticket=${await ticketFor(chat, token)}`);
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'ticket' } });
      socket.close();
      const forged = await rawUpgrade(`${chat.ws}/feed?ticket=${randomBytes(32).toString('base64url')}`);
      expect(forged.status).toBe(401);
      expect(forged.headers['www-authenticate']).toMatch(INVALID_TOKEN);
    });

    it('mints a different ticket each time', async () => {
      expect(await ticketFor(chat, token)).not.toBe(await ticketFor(chat, token));
    });

    it("caps expires_in at the token's remaining life", async () => {
      const now = Math.floor(Date.now() / 1000);
      const short = signHs(ownClaims({ iat: now, exp: now + 10 }), TEST_SECRET);
      const res = await mint(chat, short);
      expect(res.status).toBe(200);
      expect(res.body.expires_in).toBeGreaterThanOrEqual(8);
      expect(res.body.expires_in).toBeLessThanOrEqual(10);
    });

    it('answers 401 invalid_token for a token with less than a second to live', async () => {
      const now = Date.now();
      const dying = signHs(ownClaims({ iat: Math.floor(now / 1000) - 60, exp: Math.ceil(now / 1000) }), TEST_SECRET);
      const res = await mint(chat, dying);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(INVALID_TOKEN);
    });

    it('answers 401 with a bare challenge when no token is sent', async () => {
      const res = await mint(chat);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(BARE_CHALLENGE);
    });

    it('treats the Basic scheme as no bearer token', async () => {
      const res = await request(chat.http).post('/auth/ticket').set('Authorization', 'Basic bWFnZ2llOnNlY3JldA==');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(BARE_CHALLENGE);
    });

    it.each<[string, () => string]>([
      ['a token signed with another key', () => signHs(ownClaims(), 'another-secret-of-enough-length-000000')],
      ['an expired token', () => signHs(ownClaims({ iat: 1, exp: 2 }), TEST_SECRET)],
      ['a token without sid', () => signHs(ownClaims({ sid: undefined }), TEST_SECRET)],
      ['something that is not a JWT', () => 'not-a-jwt'],
    ])('answers 401 error="invalid_token" for %s, without echoing it', async (_, make) => {
      const bad = make();
      const res = await mint(chat, bad);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(INVALID_TOKEN);
      expectNoCredentialIn(res, bad);
    });

    it('answers 400 error="invalid_request" for two Authorization headers', async () => {
      const res = await request(chat.http)
        .post('/auth/ticket')
        .set('Authorization', [`Bearer ${token}`, `Bearer ${token}`] as unknown as string);
      expect(res.status).toBe(400);
      expect(res.headers['www-authenticate']).toMatch(INVALID_REQUEST);
      expect(res.body.ticket).toBeUndefined();
    });

    it('does not take a ticket as a bearer token', async () => {
      const ticket = await ticketFor(chat, token);
      const res = await mint(chat, ticket);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(INVALID_TOKEN);
    });
  });

  describe('redeeming on /chat', () => {
    it('opens a socket whose whoami reports source "ticket"', async () => {
      const ticket = await ticketFor(chat, token);
      const socket = await connect(`${chat.ws}/chat?ticket=${ticket}`);
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'ticket' } });
      socket.close();
    });

    it('keeps the ticket out of the 101 answer', async () => {
      const ticket = await ticketFor(chat, token);
      const answer = await redeem(chat, ticket);
      expect(answer.status).toBe(101);
      expectNoCredentialIn(answer, ticket);
    });

    it('refuses a replayed ticket with 401 invalid_token', async () => {
      const ticket = await ticketFor(chat, token);
      expect((await redeem(chat, ticket)).status).toBe(101);
      const replay = await redeem(chat, ticket);
      expect(replay.status).toBe(401);
      expect(replay.headers['www-authenticate']).toMatch(INVALID_TOKEN);
      expectNoCredentialIn(replay, ticket);
    });

    it('lets exactly one of 50 concurrent redemptions of one ticket through', async () => {
      const ticket = await ticketFor(chat, token);
      const answers = await Promise.all(Array.from({ length: 50 }, () => redeem(chat, ticket)));
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 101)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(49);
    });

    it.each<[string, () => string]>([
      ['a forged ticket of the right shape', () => randomBytes(32).toString('base64url')],
      ['a ticket of the wrong shape', () => 'abc'],
      ['an empty ticket', () => ''],
    ])('refuses %s with 401 invalid_token', async (_, make) => {
      const answer = await redeem(chat, make());
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(INVALID_TOKEN);
    });

    it('answers 400 invalid_request for a repeated ticket parameter', async () => {
      const ticket = await ticketFor(chat, token);
      const answer = await rawUpgrade(`${chat.ws}/chat?ticket=${ticket}&ticket=${ticket}`);
      expect(answer.status).toBe(400);
      expect(answer.headers['www-authenticate']).toMatch(INVALID_REQUEST);
    });

    it('answers 400 invalid_request for a ticket beside a bearer header', async () => {
      const ticket = await ticketFor(chat, token);
      const answer = await redeem(chat, ticket, [['Authorization', `Bearer ${token}`]]);
      expect(answer.status).toBe(400);
      expect(answer.headers['www-authenticate']).toMatch(INVALID_REQUEST);
    });

    describe('bound to the Origin that minted it', () => {
      const otherOrigin = () => chat.origin.replace('127.0.0.1', 'localhost'); // also on the allowlist

      it('opens a socket from that Origin', async () => {
        const ticket = await ticketFor(chat, token, chat.origin);
        const socket = await connect(`${chat.ws}/chat?ticket=${ticket}`, { origin: chat.origin });
        await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { source: 'ticket' } });
        socket.close();
      });

      it('refuses it from another allowed Origin, and burns it', async () => {
        const ticket = await ticketFor(chat, token, chat.origin);
        const elsewhere = await redeem(chat, ticket, [['Origin', otherOrigin()]]);
        expect(elsewhere.status).toBe(401);
        expect(elsewhere.headers['www-authenticate']).toMatch(INVALID_TOKEN);
        expect((await redeem(chat, ticket, [['Origin', chat.origin]])).status).toBe(401);
      });

      it('refuses it from a client without Origin', async () => {
        const ticket = await ticketFor(chat, token, chat.origin);
        expect((await redeem(chat, ticket)).status).toBe(401);
      });

      it('answers 403 for an Origin off the allowlist', async () => {
        const ticket = await ticketFor(chat, token, chat.origin);
        expect((await redeem(chat, ticket, [['Origin', 'http://evil.example']])).status).toBe(403);
      });
    });
  });

  it('printed no token or ticket in any log line', () => {
    expect(chat.logs.lines.some((line) => line.includes('Handshake refused'))).toBe(true);
    chat.logs.assertNoneContain(TEST_SECRET, ...sent);
  });
});

/** TICKET_TTL=1: a ticket dies after a second; the socket it opened lives by its token. */
describe('ticket expiry', () => {
  let chat: RunningChatApp;

  beforeAll(async () => {
    chat = await startChatApp({ TICKET_TTL: '1' });
  });
  afterAll(async () => {
    await chat?.close();
  });

  it('refuses a ticket after TICKET_TTL', async () => {
    const res = await mint(chat, await login(chat));
    expect(res.body.expires_in).toBe(1);
    await sleep(1_500);
    const answer = await redeem(chat, res.body.ticket);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(INVALID_TOKEN);
  });

  it("keeps the socket past the ticket's expiry, until the token's exp", async () => {
    const now = Math.floor(Date.now() / 1000);
    const shortLived = signHs(ownClaims({ iat: now, exp: now + 4 }), TEST_SECRET);
    const ticket = await ticketFor(chat, shortLived);
    const socket = await connect(`${chat.ws}/chat?ticket=${ticket}`);
    // Listening from the start: the close may come while the test waits.
    const closing = closed(socket, 8_000).then((close) => ({ ...close, at: Date.now() }));
    await sleep(1_500); // the ticket has expired; the socket lives on
    await expect(ask(socket, 'whoami')).resolves.toMatchObject({ event: 'whoami', data: { source: 'ticket' } });
    // CONTRACT.md: closed 4401 between the token's exp and exp + 1 s.
    const { code, at } = await closing;
    expect(code).toBe(4401);
    expect(at).toBeGreaterThanOrEqual((now + 4) * 1000); // never before exp
    expect(at).toBeLessThan((now + 4) * 1000 + 1000 + 500);
  });

  it('printed no token or ticket in any log line', () => {
    chat.logs.assertNoneContain(TEST_SECRET, ...sent);
  });
});

/** CONTRACT.md: instances sharing REDIS_URL act as one service; Redis down means 503, not a socket. */
describeWithRedis('tickets in Redis, shared by two instances', () => {
  let redis: RedisServer;
  let inspector: Redis;
  let a: RunningChatApp;
  let b: RunningChatApp;
  let token: string;

  /** The first mint after start may meet a client still connecting: wait until Redis serves. */
  const untilMinting = (chat: RunningChatApp) =>
    eventually(async () => {
      const res = await mint(chat, token);
      if (res.status !== 200) {
        throw new Error(`POST /auth/ticket answered ${res.status}`);
      }
    });

  beforeAll(async () => {
    redis = await RedisServer.start();
    inspector = new Redis(redis.url, { lazyConnect: true });
    await inspector.connect();
    a = await startChatApp({ REDIS_URL: redis.url });
    b = await startChatApp({ REDIS_URL: redis.url });
    token = await login(a);
    await untilMinting(a);
    await untilMinting(b);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    inspector?.disconnect();
    await redis?.kill();
  });

  it('stores only the SHA-256 of a ticket, with the ticket TTL', async () => {
    const ticket = await ticketFor(a, token);
    const key = `ws-auth:ticket:${sha256(ticket)}`;
    const stored = await inspector.get(key);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(ticket);
    expect(stored).not.toContain(token);
    const ttl = await inspector.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
    expect(await inspector.keys(`*${ticket}*`)).toEqual([]);
  });

  it('redeems on B a ticket minted on A, once', async () => {
    const ticket = await ticketFor(a, token);
    const socket = await connect(`${b.ws}/chat?ticket=${ticket}`);
    await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'ticket' } });
    socket.close();
    expect((await redeem(a, ticket)).status).toBe(401);
    expect((await redeem(b, ticket)).status).toBe(401);
  });

  it('lets exactly one of 50 concurrent redemptions across both instances through', async () => {
    const ticket = await ticketFor(b, token);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => redeem(i % 2 ? a : b, ticket)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 101)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(49);
  });

  describe('while Redis is down', () => {
    let ticketFromBefore: string;
    let openBefore: WebSocket;

    beforeAll(async () => {
      ticketFromBefore = await ticketFor(a, token);
      openBefore = await connect(`${a.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
      await redis.kill();
    });
    afterAll(() => openBefore?.close());

    it('answers 503 with Retry-After to ticket minting', async () => {
      const res = await mint(a, token);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body.ticket).toBeUndefined();
      expectNoCredentialIn(res, token);
    });

    it('answers 503 with Retry-After to a handshake with a ticket, never a socket', async () => {
      const answer = await redeem(b, ticketFromBefore);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBeDefined();
      expectNoCredentialIn(answer, ticketFromBefore);
    });

    it('keeps login and open sockets working', async () => {
      await login(a);
      await expect(ask(openBefore, 'join', { room: 'outage' })).resolves.toEqual({ event: 'joined', data: { room: 'outage' } });
    });

    it('answers 503 to a token handshake too: its revocation check needs Redis', async () => {
      const answer = await rawUpgrade(`${b.ws}/chat`, [['Authorization', `Bearer ${await login(a)}`]]);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('1');
    });

    it('serves tickets again once Redis is back, without a restart of either instance', async () => {
      await redis.start();
      await untilMinting(a);
      await untilMinting(b);
      const ticket = await ticketFor(a, token);
      const socket = await connect(`${b.ws}/chat?ticket=${ticket}`);
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { source: 'ticket' } });
      socket.close();
      // The restarted Redis kept nothing (no persistence): the old ticket is simply unknown.
      expect((await redeem(a, ticketFromBefore)).status).toBe(401);
    });
  });

  it('printed no token or ticket in any log line of either instance', () => {
    // Nest's static logger is process-wide: the last app created gets the lines of both.
    const lines = [...a.logs.lines, ...b.logs.lines];
    expect(lines.some((line) => line.includes('Redis is unreachable'))).toBe(true);
    a.logs.assertNoneContain(TEST_SECRET, ...sent);
    b.logs.assertNoneContain(TEST_SECRET, ...sent);
  });
});
