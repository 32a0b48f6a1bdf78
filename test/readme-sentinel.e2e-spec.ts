import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisTicketStore, WS_AUTH_REDIS_OPTIONS } from 'nestjs-ws-auth';
import { eventually } from './support/eventually.js';
import { codeOf, ticketRecord as record } from './support/ticket-records.js';
import { freePort } from './support/free-port.js';
import { RedisSentinel } from './support/redis-sentinel.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';

/**
 * The README's "Scale-out", Sentinel: the sample app does not wire it, so the
 * README shows the client to build. This holds that snippet to what the
 * README says of it, on a real master, replica and Sentinel: the stores work
 * through it, fail fast (`unavailable`) while the master is gone, and work
 * again on the promoted replica without a new client.
 */
const describeWithRedis = redisServerAvailable() ? describe : describe.skip;

const NAME = 'mymaster';

describeWithRedis('the README’s Sentinel client', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisSentinel;
  let redis: Redis;
  let replicaDir: string;

  beforeAll(async () => {
    master = await RedisServer.start();
    replicaDir = mkdtempSync(join(tmpdir(), 'ws-auth-replica-'));
    replica = RedisServer.on(await freePort(), ['--replicaof', '127.0.0.1', String(master.port)], replicaDir);
    await replica.start();
    const probe = new Redis(replica.port, '127.0.0.1');
    await eventually(async () => expect(await probe.info('replication')).toMatch(/master_link_status:up/));
    probe.disconnect();
    sentinel = await RedisSentinel.start(NAME, master.port);

    // As the README builds it.
    redis = new Redis({
      ...WS_AUTH_REDIS_OPTIONS,
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      name: NAME,
    });
    redis.on('error', () => undefined);
  });
  afterAll(async () => {
    redis?.disconnect();
    await sentinel?.stop();
    await Promise.all([master?.kill(), replica?.kill()]);
    rmSync(replicaDir, { recursive: true, force: true });
  });

  it('serves the ticket store through the master the Sentinel names, fails fast while it is gone, and follows the failover', async () => {
    const store = new RedisTicketStore(redis);
    await eventually(() => store.put('before', record(), 30_000));
    expect(await store.take('before')).toMatchObject({ subject: 'maggie' });
    expect(await redis.info('server')).toContain(`tcp_port:${master.port}`);

    await master.kill();
    // Before the Sentinel has promoted the replica: a refusal, not a wait.
    expect(await codeOf(store.put('during', record(), 30_000))).toBe('unavailable');

    // The same client, now on the promoted replica.
    await eventually(() => store.put('after', record(), 30_000), 20_000, 200);
    expect(await store.take('after')).toMatchObject({ subject: 'maggie' });
    expect(await redis.info('server')).toContain(`tcp_port:${replica.port}`);
  });
});
