import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type WebSocket from 'ws';
import { JwtVerifier, TicketService } from 'nestjs-ws-auth';
import { startChatApp, TEST_SECRET, type RunningChatApp } from '../support/chat-app.js';
import { startTestApp, type RunningTestApp } from '../support/guarded-test-app.js';
import { ownClaims, signHs, unsigned } from '../support/tokens.js';
import { closed, connect, exchange, rawUpgrade } from '../support/ws-client.js';
import { allLines, Answer, bearer, expectAnswer, expectStillServes, login, nowSec, SentCredentials, sleep } from './catalogue.js';
import { prototypePolluted } from './forge.js';

const AUTH_TIMEOUT_MS = 500;
const TICKET_TTL_SEC = 1;

/**
 * Catalogue of attacks on connection tickets and on first-message
 * authentication (`/feed`), against the sample app (CONTRACT.md) and, for
 * the ticket's path binding which the app does not use, a small app. After
 * each case a legitimate client still connects and gets `whoami`.
 */
describe('security catalogue: tickets and first-message authentication', () => {
  const sent = new SentCredentials(TEST_SECRET);
  let chat: RunningChatApp;
  let library: RunningTestApp;
  let token: string;

  const mint = async (origin?: string, withToken = token): Promise<string> => {
    const req = request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${withToken}`);
    const res = await (origin ? req.set('Origin', origin) : req).expect(200);
    return sent.add(res.body.ticket as string);
  };
  const redeem = (ticket: string, headers: Array<[string, string]> = [], path = '/chat') =>
    rawUpgrade(`${chat.ws}${path}?ticket=${ticket}`, headers);
  const stillServes = () => expectStillServes(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } }, { sub: 'maggie', source: 'header' });

  beforeAll(async () => {
    chat = await startChatApp({ TICKET_TTL: String(TICKET_TTL_SEC), AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS) });
    token = sent.add(await login(chat.http));
  });
  afterAll(async () => {
    await Promise.all([chat?.close(), library?.close()]);
  });

  describe('tickets on the sample app (CONTRACT.md: single-use, expiring, bound to the Origin and the session)', () => {
    it('a replayed ticket: 401 invalid_token the second time', async () => {
      const ticket = await mint();
      expectAnswer(await redeem(ticket), Answer.switched, ticket);
      expectAnswer(await redeem(ticket), Answer.invalidToken, ticket);
      await stillServes();
    });

    it('50 concurrent redemptions of one ticket: exactly one 101, 49 × 401 invalid_token', async () => {
      const ticket = await mint();
      const answers = await Promise.all(Array.from({ length: 50 }, () => redeem(ticket)));
      expect(answers.filter((answer) => answer.status === 101)).toHaveLength(1);
      for (const answer of answers.filter((one) => one.status !== 101)) {
        expectAnswer(answer, Answer.invalidToken, ticket);
      }
      await stillServes();
    });

    it(`a ticket past TICKET_TTL (${TICKET_TTL_SEC} s): 401 invalid_token`, async () => {
      const ticket = await mint();
      await sleep(TICKET_TTL_SEC * 1000 + 300);
      expectAnswer(await redeem(ticket), Answer.invalidToken, ticket);
      await stillServes();
    });

    it.each<[string, () => string]>([
      ['a forged ticket of the right shape (43 base64url characters)', () => randomBytes(32).toString('base64url')],
      ['a ticket of the wrong shape (42 characters)', () => randomBytes(32).toString('base64url').slice(1)],
      ['a percent-encoded path traversal', () => '..%2F..%2F..%2Fetc%2Fpasswd'],
      ['an empty ?ticket=', () => ''],
    ])('%s: 401 invalid_token', async (_, make) => {
      const ticket = sent.add(make());
      expectAnswer(await redeem(ticket), Answer.invalidToken, ticket);
      await stillServes();
    });

    it('a real ticket with one character appended: 401 invalid_token, and the real one is not spent (no store lookup for what was never minted)', async () => {
      const ticket = await mint();
      expectAnswer(await redeem(`${ticket}A`), Answer.invalidToken, ticket);
      expectAnswer(await redeem(ticket), Answer.switched, ticket);
      await stillServes();
    });

    it('a real ticket with its last character changed: 401 invalid_token', async () => {
      const ticket = await mint();
      const changed = sent.add(`${ticket.slice(0, -1)}${ticket.endsWith('A') ? 'B' : 'A'}`);
      expectAnswer(await redeem(changed), Answer.invalidToken, ticket);
      await stillServes();
    });

    it('minted for one allowed Origin, redeemed from another allowed Origin: 401 invalid_token, and burnt', async () => {
      const other = chat.origin.replace('127.0.0.1', 'localhost');
      const ticket = await mint(chat.origin);
      expectAnswer(await redeem(ticket, [['Origin', other]]), Answer.invalidToken, ticket);
      expectAnswer(await redeem(ticket, [['Origin', chat.origin]]), Answer.invalidToken, ticket);
      await stillServes();
    });

    it('minted for an Origin, redeemed by a client without Origin: 401 invalid_token', async () => {
      const ticket = await mint(chat.origin);
      expectAnswer(await redeem(ticket), Answer.invalidToken, ticket);
      await stillServes();
    });

    it('minted for an Origin, redeemed from a foreign Origin: 403 before the ticket is read, so it still opens a socket from its own Origin', async () => {
      const ticket = await mint(chat.origin);
      expectAnswer(await redeem(ticket, [['Origin', 'http://evil.example']]), Answer.forbidden, ticket);
      expectAnswer(await redeem(ticket, [['Origin', chat.origin]]), Answer.switched, ticket);
      await stillServes();
    });

    it("a revoked session's unused ticket (mint, POST /auth/logout, redeem): 401 invalid_token", async () => {
      const session = sent.add(await login(chat.http));
      const ticket = await mint(undefined, session);
      await request(chat.http).post('/auth/logout').set('Authorization', `Bearer ${session}`).expect(204);
      expectAnswer(await redeem(ticket), Answer.invalidToken, ticket);
      await stillServes();
    });

    it('a ticket sent as a bearer token: 401 invalid_token', async () => {
      const ticket = await mint();
      expectAnswer(await rawUpgrade(`${chat.ws}/chat`, bearer(ticket)), Answer.invalidToken, ticket);
      await stillServes();
    });

    it('a ticket sent in the access_token subprotocol: 401 invalid_token', async () => {
      const ticket = await mint();
      expectAnswer(await rawUpgrade(`${chat.ws}/chat`, [['Sec-WebSocket-Protocol', `access_token, ${ticket}`]]), Answer.invalidToken, ticket);
      await stillServes();
    });

    it('a ticket as the bearer token of POST /auth/ticket (a ticket cannot mint tickets): 401 invalid_token', async () => {
      const ticket = await mint();
      const res = await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${ticket}`);
      expect({ status: res.status, challenge: res.headers['www-authenticate'], ticket: res.body.ticket }).toEqual({
        status: 401,
        challenge: Answer.invalidToken.challenge,
        ticket: undefined,
      });
      await stillServes();
    });

    it('a forged ticket on /feed: 401 invalid_token, never a pending socket', async () => {
      const forged = sent.add(randomBytes(32).toString('base64url'));
      expectAnswer(await redeem(forged, [], '/feed'), Answer.invalidToken, forged);
      await stillServes();
    });
  });

  describe("a ticket's path binding (the library; the sample app's tickets are not bound to a path)", () => {
    const SECRET = 'tickets-catalogue-secret-0123456789abcdef';

    beforeAll(async () => {
      library = await startTestApp({ auth: { tickets: {}, verifiers: [new JwtVerifier({ secret: SECRET })] } });
      sent.add(SECRET);
    });

    it('a ticket bound to another gateway path: 401 invalid_token, and burnt', async () => {
      const tickets = library.app.get(TicketService);
      const identity = { principal: {}, subject: 'maggie', expiresAt: Date.now() + 60_000 };
      const { ticket } = await tickets.issue(identity, { path: '/elsewhere' });
      sent.add(ticket);
      expectAnswer(await rawUpgrade(`${library.ws}/secure?ticket=${ticket}`), Answer.invalidToken, ticket);
      const { ticket: control } = await tickets.issue(identity, { path: '/secure' });
      expectAnswer(await rawUpgrade(`${library.ws}/secure?ticket=${sent.add(control)}`), Answer.switched, control);
      const legit = sent.add(signHs(ownClaims(), SECRET));
      await expectStillServes(`${library.ws}/secure`, { headers: { Authorization: `Bearer ${legit}` } }, expect.objectContaining({ subject: 'maggie' }));
    });
  });

  describe(`first-message authentication on /feed (CONTRACT.md close codes; AUTH_TIMEOUT_MS=${AUTH_TIMEOUT_MS})`, () => {
    type Act = (socket: WebSocket) => void | Promise<void>;
    const frame = (value: unknown) => JSON.stringify(value);
    const auth = (data: unknown) => frame({ event: 'auth', data });

    it.each<[string, Act, { code: number; reason: string }]>([
      ['nothing within AUTH_TIMEOUT_MS', () => undefined, { code: 4408, reason: 'Authentication timeout' }],
      ['a 10 MB frame', (socket) => socket.send('x'.repeat(10 * 1024 * 1024)), { code: 1009, reason: '' }],
      ['an auth frame of 17 KiB', (socket) => socket.send(auth({ token: 'x'.repeat(17 * 1024) })), { code: 1009, reason: '' }],
      ['a frame that is not JSON', (socket) => socket.send('{"event":"auth",'), { code: 4401, reason: 'Unauthorized' }],
      ['JSON null', (socket) => socket.send('null'), { code: 4401, reason: 'Unauthorized' }],
      ['a binary frame holding a valid auth event', (socket) => socket.send(Buffer.from(auth({ token }))), { code: 4401, reason: 'Unauthorized' }],
      ['another event first (whoami)', (socket) => socket.send(frame({ event: 'whoami' })), { code: 4401, reason: 'Unauthorized' }],
      ['an auth event without data', (socket) => socket.send(frame({ event: 'auth' })), { code: 4401, reason: 'Unauthorized' }],
      ['an auth event whose token is a number', (socket) => socket.send(auth({ token: 42 })), { code: 4401, reason: 'Unauthorized' }],
      ['an auth event whose token hides behind "__proto__"', (socket) => socket.send(`{"event":"auth","data":{"__proto__":{"token":${JSON.stringify(token)}}}}`), { code: 4401, reason: 'Unauthorized' }],
      ['an auth event with a token of another kind (a ticket)', async (socket) => socket.send(auth({ token: await mint() })), { code: 4401, reason: 'Unauthorized' }],
      ['an auth event with an alg "none" token', (socket) => socket.send(auth({ token: sent.add(unsigned(ownClaims(), 'none')) })), { code: 4401, reason: 'Unauthorized' }],
      ['an auth event with an expired token', (socket) => socket.send(auth({ token: sent.add(signHs(ownClaims({ iat: nowSec() - 60, exp: nowSec() - 10 }), TEST_SECRET)) })), { code: 4401, reason: 'Unauthorized' }],
      ['an auth event with a 9 KB token (over maxTokenLength, under the frame cap)', (socket) => socket.send(auth({ token: sent.add(signHs(ownClaims({ pad: 'x'.repeat(7000) }), TEST_SECRET)) })), { code: 4401, reason: 'Unauthorized' }],
      [
        'an auth event with a logged-out token',
        async (socket) => {
          const session = sent.add(await login(chat.http));
          await request(chat.http).post('/auth/logout').set('Authorization', `Bearer ${session}`).expect(204);
          socket.send(auth({ token: session }));
        },
        { code: 4401, reason: 'Unauthorized' },
      ],
      ['a second auth event while the first is judged', (socket) => { socket.send(auth({ token })); socket.send(auth({ token })); }, { code: 4401, reason: 'Unauthorized' }],
    ])('a pending socket that sends %s', async (_, act, expected) => {
      const socket = await connect(`${chat.ws}/feed`);
      socket.on('error', () => undefined); // a 10 MB write may meet a reset after the close
      const heard: string[] = [];
      socket.on('message', (data) => heard.push(data.toString()));
      const closing = closed(socket, AUTH_TIMEOUT_MS + 3000);
      await act(socket);
      await expect(closing).resolves.toEqual(expected);
      // Nothing reached the gateway: not even the auth reply of the first of two frames.
      expect(heard).toEqual([]);
      expect(prototypePolluted()).toBe(false);
      // A legitimate pending socket still authenticates by its first frame.
      const legit = await connect(`${chat.ws}/feed`);
      await expect(exchange(legit, 'auth', { token })).resolves.toEqual({ event: 'auth', data: { sub: 'maggie', expires_in: expect.any(Number) } });
      await expect(exchange(legit, 'whoami', undefined)).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'message' } });
      legit.close();
      await stillServes();
    });
  });

  it('printed no credential in any log line of either app', () => {
    const captures = [chat.logs, library.logs];
    expect(allLines(...captures).some((line) => line.includes('Handshake refused'))).toBe(true);
    sent.audit(...captures);
  });
});
