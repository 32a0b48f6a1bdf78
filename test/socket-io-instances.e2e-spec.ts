import request from 'supertest';
import { startChatApp, type RunningChatApp } from './support/chat-app.js';
import { closedByServer, connected, ioSocket, refused } from './support/io-client.js';
import { eventually } from './support/eventually.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';

/**
 * CONTRACT.md "Socket.IO", several instances: two sample apps in
 * WS_TRANSPORT=socket.io sharing one real Redis, clients on the WebSocket
 * transport alone (long-polling across instances needs sticky sessions).
 */
const describeWithRedis = redisServerAvailable() ? describe : describe.skip;

const login = async (chat: RunningChatApp, username = 'maggie', password = 'secret'): Promise<string> =>
  (await request(chat.http).post('/auth/login').send({ username, password }).expect(200)).body.access_token;
const ticketFor = async (chat: RunningChatApp, token: string): Promise<string> =>
  (await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`).expect(200)).body.ticket;

describeWithRedis('Socket.IO across two instances sharing Redis', () => {
  let redis: RedisServer;
  let a: RunningChatApp;
  let b: RunningChatApp;
  const sockets: ReturnType<typeof ioSocket>[] = [];
  const connect = (chat: RunningChatApp, auth: Record<string, unknown>) => {
    const socket = ioSocket(chat.http, { transports: ['websocket'], auth });
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await startChatApp({ WS_TRANSPORT: 'socket.io', REDIS_URL: redis.url });
    b = await startChatApp({ WS_TRANSPORT: 'socket.io', REDIS_URL: redis.url, JWT_SECRET: a.config.jwtSecret });
    // Each instance's Redis client connects in the background: minting answers 503 until then.
    for (const chat of [a, b]) {
      const token = await login(chat);
      await eventually(async () => {
        const response = await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`);
        if (response.status !== 200) {
          throw new Error(`ticket minting answered ${response.status}`);
        }
      });
    }
  });
  afterEach(() => sockets.splice(0).forEach((socket) => socket.close()));
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.kill();
  });

  it('redeems a ticket minted on one instance on the other, once, when both race for it', async () => {
    const ticket = await ticketFor(a, await login(a));
    const outcomes = await Promise.allSettled([connected(connect(a, { ticket })), connected(connect(b, { ticket }))]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const loser = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason.data).toEqual({ code: 'invalid_token' });
  });

  it('a say on one instance reaches the room members on the other', async () => {
    const maggie = await connected(connect(a, { token: await login(a) }));
    const bart = await connected(connect(b, { token: await login(b, 'bart', 'eatmyshorts') }));
    await maggie.emitWithAck('join', { room: 'across' });
    await bart.emitWithAck('join', { room: 'across' });
    const heard = new Promise((resolve) => bart.once('said', resolve));
    expect(await maggie.emitWithAck('say', { room: 'across', text: 'hello over there' })).toEqual({ ok: true });
    expect(await heard).toEqual({ room: 'across', from: 'maggie', text: 'hello over there' });
  });

  it('a logout on one instance ends the socket on the other with auth_closed 4403 within 1 s, and its token is refused there', async () => {
    const token = await login(a);
    const socket = await connected(connect(b, { token }));
    const closed = closedByServer(socket);
    const started = Date.now();
    await request(a.http).post('/auth/logout').set('Authorization', `Bearer ${token}`).expect(204);
    const { code, disconnect, at } = await closed;
    expect(code).toBe(4403);
    expect(disconnect).toBe('io server disconnect');
    expect(at - started).toBeLessThan(1000);
    expect((await refused(connect(b, { token }))).data).toEqual({ code: 'invalid_token' });
  });

  // Last: it stops the shared Redis.
  it('a refresh that cannot be judged while Redis is down is acknowledged with unavailable, and the socket stays', async () => {
    const socket = await connected(connect(a, { token: await login(a) }));
    await redis.kill();
    expect(await socket.emitWithAck('auth', { token: await login(a) })).toEqual({ error: 'unavailable' });
    expect(await socket.emitWithAck('whoami')).toEqual({ sub: 'maggie', source: 'auth' });
  });
});
