import { generateKeyPairSync } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startChatApp, TEST_SECRET, type RunningChatApp } from '../support/chat-app.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import type { LogCapture } from '../support/log-capture.js';
import { CHAT_RESOURCE } from '../support/oidc-issuer.js';
import { json, startRecordingHttpServer, type RecordedHandler, type RecordingHttpServer } from '../support/recording-http-server.js';
import { RedisServer, redisServerAvailable } from '../support/redis-server.js';
import { TcpProxy, type TcpProxyMode } from '../support/tcp-proxy.js';
import { closed, connect, exchange, rawUpgrade, waitFor } from '../support/ws-client.js';
import { allLines, Answer, bearer, expectAnswer, expectStillServes, login, nowSec, SentCredentials, sleep, type ExpectedAnswer } from './catalogue.js';
import { asymmetric, jws } from './forge.js';

const describeWithRedis = redisServerAvailable() ? describe : describe.skip;

/**
 * Catalogue of faults in what a handshake depends on (CONTRACT.md: a store
 * or issuer that cannot answer, slow included, means 503, never a socket):
 * a real redis-server behind a TCP proxy of the test's own that kills,
 * delays, blackholes or garbles the traffic, and a loopback "issuer" that is
 * down, hangs or serves nonsense. Statuses only: no timing figure is asserted.
 */
describe('security catalogue: faults of Redis and of the issuer', () => {
  const sent = new SentCredentials(TEST_SECRET);
  const captures: LogCapture[] = [];

  describeWithRedis('Redis behind a proxy (REDIS_URL), two instances', () => {
    let redis: RedisServer;
    let proxy: TcpProxy;
    let a: RunningChatApp;
    let b: RunningChatApp;
    let token: string;
    /** Rejections nobody handled: in a real process (Node's default) each one ends the app. */
    const unhandled: unknown[] = [];
    const recordUnhandled = (reason: unknown) => void unhandled.push(reason);

    const mintTicket = async () => {
      const res = await request(a.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`);
      if (res.status !== 200) {
        throw new Error(`POST /auth/ticket answered ${res.status}`);
      }
      return sent.add(res.body.ticket as string);
    };
    /** A legitimate client gets a socket and whoami on both instances: Redis serves again and the apps recovered by themselves. */
    const servesAgain = () =>
      eventually(async () => {
        for (const chat of [a, b]) {
          await expectStillServes(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } }, { sub: 'maggie', source: 'header' });
        }
      }, 15_000);
    /** Both instances subscribed again: a logout on A closes the session's socket on B, a say on B reaches A. */
    const pubSubWorksAgain = () =>
      eventually(async () => {
        const session = sent.add(await login(a.http));
        const onB = await connect(`${b.ws}/chat`, { headers: { Authorization: `Bearer ${session}` } });
        const closing = closed(onB, 1500);
        await request(a.http).post('/auth/logout').set('Authorization', `Bearer ${session}`).expect(204);
        await expect(closing).resolves.toEqual({ code: 4403, reason: 'Session revoked' });
        const [maggie, bart] = await Promise.all([
          connect(`${a.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } }),
          connect(`${b.ws}/chat`, { headers: { Authorization: `Bearer ${sent.add(await login(b.http, 'bart', 'eatmyshorts'))}` } }),
        ]);
        try {
          await exchange(maggie, 'join', { room: 'faults' }, 'joined');
          await exchange(bart, 'join', { room: 'faults' }, 'joined');
          const heard = waitFor(maggie, 'said', 1500);
          bart.send(JSON.stringify({ event: 'say', data: { room: 'faults', text: 'still here' } }));
          await expect(heard).resolves.toEqual({ event: 'said', data: { room: 'faults', from: 'bart', text: 'still here' } });
        } finally {
          maggie.close();
          bart.close();
        }
      }, 15_000);

    beforeAll(async () => {
      process.on('unhandledRejection', recordUnhandled);
      redis = await RedisServer.start();
      proxy = await TcpProxy.start(redis.port);
      [a, b] = await Promise.all([startChatApp({ REDIS_URL: proxy.url }), startChatApp({ REDIS_URL: proxy.url })]);
      captures.push(a.logs, b.logs);
      token = sent.add(await login(a.http));
      await servesAgain();
    });
    afterAll(async () => {
      process.off('unhandledRejection', recordUnhandled);
      await Promise.all([a?.close(), b?.close()]);
      await proxy?.close();
      await redis?.kill();
    });

    const faults: Array<[string, () => Promise<void>]> = [
      ['down (redis-server killed)', () => redis.kill()],
      ...(
        [
          ['blackholed (connections stay open, nothing comes back)', 'blackhole'],
          ['slow (every byte 1.5 s late, past the 1 s bound)', 'delay'],
          ['answering bytes that are not RESP', 'garbage'],
        ] as Array<[string, TcpProxyMode]>
      ).map(([name, mode]): [string, () => Promise<void>] => [name, async () => void (proxy.mode = mode)]),
    ];

    describe.each(faults)('Redis %s', (_, fault) => {
      let ticketFromBefore: string;

      beforeAll(async () => {
        ticketFromBefore = await eventually(mintTicket, 15_000);
        await fault();
      });
      afterAll(async () => {
        proxy.reset('pass');
        await redis.start();
      });

      it('a bearer-token handshake: 503 with Retry-After, never a socket (its revocation check needs Redis)', async () => {
        expectAnswer(await rawUpgrade(`${a.ws}/chat`, bearer(token)), Answer.unavailable, token);
        await request(a.http).post('/auth/login').send({ username: 'bart', password: 'eatmyshorts' }).expect(200);
      });

      it('a ticket minted before the fault, on the other instance: 503 with Retry-After, never a socket', async () => {
        expectAnswer(await rawUpgrade(`${b.ws}/chat?ticket=${ticketFromBefore}`), Answer.unavailable, ticketFromBefore);
        await request(b.http).post('/auth/login').send({ username: 'bart', password: 'eatmyshorts' }).expect(200);
      });

      it('POST /auth/ticket: 503 with Retry-After and no ticket', async () => {
        const res = await request(a.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`);
        expect({ status: res.status, retryAfter: res.headers['retry-after'], ticket: res.body.ticket }).toEqual({ status: 503, retryAfter: '1', ticket: undefined });
      });

      it("a pending /feed socket's auth frame: closed with 1013", async () => {
        const socket = await connect(`${a.ws}/feed`);
        const closing = closed(socket, 5000);
        socket.send(JSON.stringify({ event: 'auth', data: { token } }));
        await expect(closing).resolves.toEqual({ code: 1013, reason: 'Try again later' });
      });

      it('once Redis is healthy: serves legitimate clients and pub/sub again on both instances, without a restart, no rejection left unhandled', async () => {
        proxy.reset('pass');
        await redis.start();
        await servesAgain();
        await pubSubWorksAgain();
        expect(unhandled).toEqual([]);
      });
    });

    describe('Redis links cut at every SUBSCRIBE (the subscribers reconnect into a flapping network)', () => {
      beforeAll(async () => {
        proxy.reset('pass');
        proxy.cutOn = /subscribe/i;
        await sleep(2500); // several reconnections of both instances' subscribers, each cut mid-SUBSCRIBE
      });
      afterAll(() => proxy.reset('pass'));

      it('both processes survive it with no rejection left unhandled, and commands still answer: a handshake gets its socket', async () => {
        expect(unhandled).toEqual([]);
        await servesAgain();
      });

      it('once the link holds: both instances subscribed again (logout on A closes B’s socket, say on B reaches A)', async () => {
        proxy.reset('pass');
        await pubSubWorksAgain();
        expect(unhandled).toEqual([]);
      });
    });
  });

  describe('an issuer that cannot answer, with a cold key cache (OIDC_ISSUER)', () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicJwk = { ...keys.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
    const ecJwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' };
    let issuer: RecordingHttpServer;
    /** Where a redirect points: it must never be followed. */
    let elsewhere: RecordingHttpServer;
    let downIssuer: string;

    const discovery = (res: ServerResponse, overrides: Record<string, unknown> = {}) =>
      json(res, { issuer: issuer.url, jwks_uri: `${issuer.url}/jwks`, ...overrides });
    /** An issuer whose discovery answers well and whose JWKS answers with `jwks`. */
    const withJwks = (jwks: RecordedHandler): RecordedHandler => (req, res) => (req.url === '/jwks' ? jwks(req, res) : discovery(res));
    const never: RecordedHandler = () => undefined;
    const redirect = (res: ServerResponse) => res.writeHead(302, { location: `${elsewhere.url}/jwks` }).end();

    beforeAll(async () => {
      [issuer, elsewhere] = await Promise.all([startRecordingHttpServer(), startRecordingHttpServer((_, res) => json(res, { keys: [publicJwk] }))]);
      downIssuer = `http://127.0.0.1:${await freePort()}`;
    });
    afterAll(async () => {
      await Promise.all([issuer?.close(), elsewhere?.close()]);
    });

    it.each<[string, () => { url: string; handler?: RecordedHandler }, ExpectedAnswer]>([
      ['the issuer is down (nothing listens)', () => ({ url: downIssuer }), Answer.unavailable],
      ['the discovery document never comes', () => ({ url: issuer.url, handler: never }), Answer.unavailable],
      ['the discovery document answers 500', () => ({ url: issuer.url, handler: (_, res) => res.writeHead(500).end() }), Answer.unavailable],
      ['the discovery document is not JSON', () => ({ url: issuer.url, handler: (_, res) => json(res, '<html>oops</html>') }), Answer.unavailable],
      ['the discovery document names another issuer', () => ({ url: issuer.url, handler: (_, res) => discovery(res, { issuer: 'https://evil.example' }) }), Answer.unavailable],
      ['the discovery document points jwks_uri at plain http off loopback', () => ({ url: issuer.url, handler: (_, res) => discovery(res, { jwks_uri: 'http://keys.example.com/jwks' }) }), Answer.unavailable],
      ['the discovery document redirects (never followed)', () => ({ url: issuer.url, handler: (_, res) => redirect(res) }), Answer.unavailable],
      ['the JWKS never comes', () => ({ url: issuer.url, handler: withJwks(never) }), Answer.unavailable],
      ['the JWKS answers 500', () => ({ url: issuer.url, handler: withJwks((_, res) => res.writeHead(500).end()) }), Answer.unavailable],
      ['the JWKS is not JSON', () => ({ url: issuer.url, handler: withJwks((_, res) => json(res, '{"keys": [')) }), Answer.unavailable],
      ['the JWKS has keys of the wrong JSON type (a string)', () => ({ url: issuer.url, handler: withJwks((_, res) => json(res, { keys: 'k1' })) }), Answer.unavailable],
      ['the JWKS has keys that are not objects', () => ({ url: issuer.url, handler: withJwks((_, res) => json(res, { keys: [42, null] })) }), Answer.unavailable],
      ['the JWKS redirects to a server holding the key (never followed)', () => ({ url: issuer.url, handler: withJwks((_, res) => redirect(res)) }), Answer.unavailable],
      // README: a JWKS that was read and has no key for the token is the token's fault, not the issuer's.
      ['the JWKS holds only an EC key under the token’s kid (a key of the wrong type for RS256): 401', () => ({ url: issuer.url, handler: withJwks((_, res) => json(res, { keys: [ecJwk] })) }), Answer.invalidToken],
      ['the JWKS holds only a symmetric (oct) key under the token’s kid: 401', () => ({ url: issuer.url, handler: withJwks((_, res) => json(res, { keys: [{ kty: 'oct', kid: 'k1', k: 'c2VjcmV0' }] })) }), Answer.invalidToken],
      ['the control: the JWKS holds the signing key', () => ({ url: issuer.url, handler: withJwks((_, res) => json(res, { keys: [publicJwk] })) }), Answer.switched],
    ])('%s', async (_, setup, expected) => {
      const { url, handler } = setup();
      if (handler) {
        issuer.handle(handler);
      }
      const chat = await startChatApp({ OIDC_ISSUER: url, OIDC_AUDIENCE: CHAT_RESOURCE });
      captures.push(chat.logs);
      try {
        const claims = { iss: url, sub: 'bot', aud: CHAT_RESOURCE, client_id: 'bot', iat: nowSec(), exp: nowSec() + 300 };
        const token = sent.add(jws({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' }, claims, asymmetric(keys.privateKey, 'RS256')));
        expectAnswer(await rawUpgrade(`${chat.ws}/chat`, bearer(token)), expected, token);
        expect(elsewhere.requests).toEqual([]);
        // The app's own tokens need no issuer: they keep working meanwhile.
        const own = sent.add(await login(chat.http));
        await expectStillServes(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${own}` } }, { sub: 'maggie', source: 'header' });
      } finally {
        await chat.close();
      }
    });
  });

  it('printed no credential in any log line of any of the apps, and said why it answered 503', () => {
    const lines = allLines(...captures);
    expect(lines.some((line) => /Handshake refused on \/chat: unavailable/.test(line))).toBe(true);
    expect(lines.some((line) => line.includes('cannot be fetched'))).toBe(true);
    sent.audit(...captures);
  });
});
