import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createRedisClient, RedisTicketStore } from 'nestjs-ws-auth';
import { eventually } from './support/eventually.js';
import { codeOf, ticketRecord as record } from './support/ticket-records.js';
import { freePort } from './support/free-port.js';
import { LogCapture } from './support/log-capture.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';

const describeWithRedis = redisServerAvailable() ? describe : describe.skip;



const ready = (client: Redis) =>
  client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', () => resolve()));

/** The ticket store against a real redis-server of the test's own. */
describeWithRedis('RedisTicketStore on a real Redis', () => {
  let server: RedisServer;
  let client: Redis;
  let store: RedisTicketStore;
  const logs = new LogCapture();
  const clients: Redis[] = [];
  const newClient = (url = server.url) => {
    const created = createRedisClient(url);
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    Logger.overrideLogger(logs.logger());
    server = await RedisServer.start();
    client = newClient();
    await ready(client);
    store = new RedisTicketStore(client);
  });
  afterEach(async () => {
    await server.start(); // a test that killed it leaves it running again
  });
  afterAll(async () => {
    clients.forEach((each) => each.disconnect());
    await server?.kill();
  });

  it('gives a record back once, under ws-auth:ticket:<hash> with a PX expiry', async () => {
    const stored = record();
    await store.put('hash-1', stored, 30_000);
    const ttl = await client.pttl('ws-auth:ticket:hash-1');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await expect(store.take('hash-1')).resolves.toEqual(stored);
    await expect(store.take('hash-1')).resolves.toBeNull();
    await expect(client.exists('ws-auth:ticket:hash-1')).resolves.toBe(0);
  });

  it('uses the configured key prefix', async () => {
    const prefixed = new RedisTicketStore(client, { keyPrefix: 'app-a:' });
    await prefixed.put('hash-2', record(), 30_000);
    await expect(client.exists('app-a:ticket:hash-2')).resolves.toBe(1);
    await expect(store.take('hash-2')).resolves.toBeNull();
    await expect(prefixed.take('hash-2')).resolves.toMatchObject({ subject: 'maggie' });
  });

  it('forgets a record after its TTL', async () => {
    await store.put('hash-3', record(), 100);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(store.take('hash-3')).resolves.toBeNull();
  });

  it('treats a foreign value under its prefix as no ticket', async () => {
    await client.set('ws-auth:ticket:hash-4', 'not json');
    await client.set('ws-auth:ticket:hash-5', '{"subject":42}');
    await expect(store.take('hash-4')).resolves.toBeNull();
    await expect(store.take('hash-5')).resolves.toBeNull();
  });

  it('lets exactly one of 100 concurrent takes win, across two connections', async () => {
    const other = newClient();
    await ready(other);
    const stores = [store, new RedisTicketStore(other)];
    await store.put('hash-race', record(), 30_000);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => stores[i % 2].take('hash-race')));
    expect(results.filter((result) => result !== null)).toHaveLength(1);
  });

  it('throws unavailable while Redis is down, and serves again once it is back, with the same client', async () => {
    await server.kill();
    await expect(codeOf(store.put('hash-6', record(), 30_000))).resolves.toBe('unavailable');
    await expect(codeOf(store.take('hash-6'))).resolves.toBe('unavailable');
    await server.start();
    await eventually(() => store.put('hash-6', record(), 30_000));
    await expect(store.take('hash-6')).resolves.toMatchObject({ subject: 'maggie' });
    const outage = logs.lines.findIndex((line) => line.includes('Redis is unreachable'));
    expect(outage).toBeGreaterThanOrEqual(0);
    expect(logs.lines.slice(outage).some((line) => line.includes('Redis is reachable again'))).toBe(true);
  });

  it('creates a client while nothing listens, without throwing, and connects when Redis appears', async () => {
    const late = await RedisServer.start();
    await late.kill();
    const early = newClient(late.url);
    const lateStore = new RedisTicketStore(early);
    await expect(codeOf(lateStore.take('hash-7'))).resolves.toBe('unavailable');
    await late.start();
    try {
      await eventually(() => lateStore.put('hash-7', record(), 30_000));
      await expect(lateStore.take('hash-7')).resolves.toMatchObject({ subject: 'maggie' });
    } finally {
      await late.kill();
    }
  });

  it('never logs the Redis URL (it may carry a password)', () => {
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.lines.filter((line) => line.includes('redis://'))).toEqual([]);
  });

  it('fails at once on a port where no Redis ever was', async () => {
    const nowhere = new RedisTicketStore(newClient(`redis://127.0.0.1:${await freePort()}`));
    await expect(codeOf(nowhere.take('hash-8'))).resolves.toBe('unavailable');
  });
});
