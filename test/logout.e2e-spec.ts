import request from 'supertest';
import type WebSocket from 'ws';
import { startChatApp, TEST_SECRET, untilRedisServes, type RunningChatApp } from './support/chat-app.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';
import { ask, closed, connect, exchange, rawUpgrade } from './support/ws-client.js';

const describeWithRedis = redisServerAvailable() ? describe : describe.skip;

const login = async (chat: RunningChatApp, username = 'maggie', password = 'secret'): Promise<string> =>
  (await request(chat.http).post('/auth/login').send({ username, password }).expect(200)).body.access_token;
const ticketFor = async (chat: RunningChatApp, token: string): Promise<string> =>
  (await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`).expect(200)).body.ticket;
const logout = (chat: RunningChatApp, token: string) => request(chat.http).post('/auth/logout').set('Authorization', `Bearer ${token}`);
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** Resolves with the close and the milliseconds it took from `since`. */
const closedWithin = async (socket: WebSocket, since: number) => {
  const { code } = await closed(socket, 3000);
  return { code, ms: Date.now() - since };
};

/** CONTRACT.md: POST /auth/logout ends that login's token, unused tickets and open sockets. */
describe('POST /auth/logout on one instance', () => {
  let chat: RunningChatApp;
  const sent: string[] = [];

  beforeAll(async () => {
    chat = await startChatApp();
  });
  afterAll(() => chat?.close());

  it('answers 401 without a token or with a bad one', async () => {
    const none = await request(chat.http).post('/auth/logout').expect(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
    const bad = await logout(chat, 'not.a.token').expect(401);
    expect(bad.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('answers 204 and ends the session: sockets close with 4403 within 1 s, token and unused ticket stop working', async () => {
    const token = await login(chat);
    const other = await login(chat); // a second login of the same user
    sent.push(token, other);
    const onChat = await connect(`${chat.ws}/chat`, bearer(token));
    const onFeed = await connect(`${chat.ws}/feed`);
    await exchange(onFeed, 'auth', { token });
    const survivor = await connect(`${chat.ws}/chat`, bearer(other));
    const unused = await ticketFor(chat, token);
    sent.push(unused);

    const chatClosed = closedWithin(onChat, Date.now());
    const feedClosed = closedWithin(onFeed, Date.now());
    const res = await logout(chat, token).expect(204);
    expect(res.text).toBe('');
    for (const { code, ms } of await Promise.all([chatClosed, feedClosed])) {
      expect(code).toBe(4403);
      expect(ms).toBeLessThan(1000);
    }

    const handshake = await rawUpgrade(`${chat.ws}/chat`, [['Authorization', `Bearer ${token}`]]);
    expect(handshake.status).toBe(401);
    expect(handshake.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect((await rawUpgrade(`${chat.ws}/chat?ticket=${unused}`)).status).toBe(401);
    const mint = await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`).expect(401);
    expect(mint.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    await logout(chat, token).expect(401);

    // The other login of the same user is untouched.
    await expect(ask(survivor, 'whoami')).resolves.toMatchObject({ data: { sub: 'maggie' } });
    (await connect(`${chat.ws}/chat?ticket=${await ticketFor(chat, other)}`)).close();
    survivor.close();
  });

  it('refuses an in-band refresh to a logged-out token', async () => {
    const gone = await login(chat);
    sent.push(gone);
    await logout(chat, gone).expect(204);
    const socket = await connect(`${chat.ws}/chat`, bearer(await login(chat)));
    const closing = closed(socket);
    socket.send(JSON.stringify({ event: 'auth', data: { token: gone } }));
    await expect(closing).resolves.toMatchObject({ code: 4401 });
  });

  it('printed no credential in any log line', () => {
    chat.logs.assertNoneContain(TEST_SECRET, ...sent);
  });
});

/** CONTRACT.md: a logout on one instance closes sockets on all, within 1 s. */
describeWithRedis('two instances sharing Redis: logout and rooms', () => {
  let redis: RedisServer;
  let a: RunningChatApp;
  let b: RunningChatApp;

  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await startChatApp({ REDIS_URL: redis.url });
    b = await startChatApp({ REDIS_URL: redis.url });
    // Both instances serve once their Redis clients are connected.
    await untilRedisServes([a, b], await login(a));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.kill();
  });

  it('closes the session’s sockets on the other instance with 4403 within 1 s and refuses its token and tickets there', async () => {
    const token = await login(a);
    const other = await login(a);
    const onB = await connect(`${b.ws}/chat`, bearer(token));
    const survivorOnB = await connect(`${b.ws}/chat`, bearer(other));
    const ticketFromB = await ticketFor(b, token);

    const onBClosed = closedWithin(onB, Date.now());
    await logout(a, token).expect(204);
    const { code, ms } = await onBClosed;
    expect(code).toBe(4403);
    expect(ms).toBeLessThan(1000);

    expect((await rawUpgrade(`${b.ws}/chat`, [['Authorization', `Bearer ${token}`]])).status).toBe(401);
    expect((await rawUpgrade(`${a.ws}/chat?ticket=${ticketFromB}`)).status).toBe(401);
    await expect(ask(survivorOnB, 'whoami')).resolves.toMatchObject({ data: { sub: 'maggie' } });
    survivorOnB.close();
  });

  it('delivers say to the room’s members on every instance', async () => {
    const maggie = await connect(`${a.ws}/chat`, bearer(await login(a)));
    const bart = await connect(`${b.ws}/chat`, bearer(await login(b, 'bart', 'eatmyshorts')));
    await exchange(maggie, 'join', { room: 'springfield' }, 'joined');
    await exchange(bart, 'join', { room: 'springfield' }, 'joined');
    const heard = exchange(maggie, 'noop', undefined, 'said');
    bart.send(JSON.stringify({ event: 'say', data: { room: 'springfield', text: 'Ay caramba' } }));
    await expect(heard).resolves.toEqual({ event: 'said', data: { room: 'springfield', from: 'bart', text: 'Ay caramba' } });
    maggie.close();
    bart.close();
  });
});
