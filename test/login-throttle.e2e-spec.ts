import request from 'supertest';
import { startChatApp, untilRedisServes, type RunningChatApp } from './support/chat-app.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';

const describeWithRedis = redisServerAvailable() ? describe : describe.skip;

const attempt = (chat: RunningChatApp, username: string, password: string) =>
  request(chat.http).post('/auth/login').send({ username, password });

/** Ten wrong passwords, each answered 401. */
async function failTenTimes(chat: RunningChatApp, username: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await attempt(chat, username, `wrong-${i}`).expect(401);
  }
}

function expectLockedOut(response: request.Response): void {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(response.body.access_token).toBeUndefined();
}

/** CONTRACT.md: 429 with Retry-After once one username has had 10 failed logins from one client address within 60 s. */
describe('POST /auth/login throttling', () => {
  let chat: RunningChatApp;

  beforeAll(async () => {
    chat = await startChatApp();
  });
  afterAll(() => chat?.close());

  it('answers the 10th wrong password with 401 and refuses the next attempt, right password included, with 429', async () => {
    await failTenTimes(chat, 'maggie');
    expectLockedOut(await attempt(chat, 'maggie', 'secret'));
    expectLockedOut(await attempt(chat, 'maggie', 'wrong-again'));
  });

  it('leaves another username from the same address alone', async () => {
    await attempt(chat, 'bart', 'eatmyshorts').expect(200);
  });

  it('does not count successful logins', async () => {
    for (let i = 0; i < 12; i++) {
      await attempt(chat, 'bart', 'eatmyshorts').expect(200);
    }
  });

  it('counts up to the limit: nine failures still let the right password in', async () => {
    const fresh = await startChatApp();
    try {
      for (let i = 0; i < 9; i++) {
        await attempt(fresh, 'bart', `wrong-${i}`).expect(401);
      }
      await attempt(fresh, 'bart', 'eatmyshorts').expect(200);
    } finally {
      await fresh.close();
    }
  });
});

describeWithRedis('POST /auth/login throttling across instances sharing Redis', () => {
  let redis: RedisServer;
  let a: RunningChatApp;
  let b: RunningChatApp;

  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await startChatApp({ REDIS_URL: redis.url });
    b = await startChatApp({ REDIS_URL: redis.url });
    // Both instances count in Redis once their clients are connected.
    await untilRedisServes([a, b], (await attempt(a, 'bart', 'eatmyshorts').expect(200)).body.access_token);
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.kill();
  });

  it('locks a username out on every instance after its failures on one', async () => {
    await failTenTimes(a, 'maggie');
    expectLockedOut(await attempt(b, 'maggie', 'secret'));
    await attempt(b, 'bart', 'eatmyshorts').expect(200);
  });

  it('keeps login working while Redis is down, still counting failures on the instance', async () => {
    await redis.kill();
    await attempt(a, 'bart', 'eatmyshorts').expect(200);
    await failTenTimes(a, 'bart');
    expectLockedOut(await attempt(a, 'bart', 'eatmyshorts'));
  });
});
