import { afterEach, describe, expect, it } from '@jest/globals';
import type { Cluster } from 'ioredis';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import { WS_AUTH_REDIS_OPTIONS } from './redis-client.js';
import { createRedisClusterClient } from './redis-cluster-client.js';

describe('createRedisClusterClient', () => {
  const made: Cluster[] = [];
  const create = (...args: Parameters<typeof createRedisClusterClient>) => {
    const cluster = createRedisClusterClient(args[0], { lazyConnect: true, ...args[1] });
    made.push(cluster);
    return cluster;
  };
  afterEach(() => made.splice(0).forEach((cluster) => cluster.disconnect()));

  it('reads the REDIS_CLUSTER_NODES form, spaces and IPv6 brackets included', () => {
    // Private in the typings; what ioredis connects to first.
    expect((create('10.0.0.1:7000, redis-b:7001,,[::1]:7002') as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it.each(['', ' , ', 'redis-a', 'redis-a:0', 'redis-a:70000', ':7000', 'redis://:hunter2@redis-a:7000/x', 'redis://:hunter2@redis-a:7000', 'redis-a:7000,user:hunter2@redis-b:7001'])(
    'refuses %j with a message that does not repeat it',
    (seeds) => {
      let thrown: unknown;
      try {
        create(seeds);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(WsAuthConfigurationError);
      expect((thrown as Error).message).not.toContain('hunter2');
    },
  );

  it('fails fast on the Cluster and on every node, and retries forever; your options on top, redisOptions merged', () => {
    const { options } = create([{ host: '127.0.0.1', port: 7000 }], { redisOptions: { password: 'secret' }, slotsRefreshTimeout: 500 });
    expect(options.enableOfflineQueue).toBe(false);
    expect(options.slotsRefreshTimeout).toBe(500);
    expect(options.redisOptions).toMatchObject({
      password: 'secret',
      commandTimeout: WS_AUTH_REDIS_OPTIONS.commandTimeout,
      socketTimeout: WS_AUTH_REDIS_OPTIONS.socketTimeout,
      connectTimeout: WS_AUTH_REDIS_OPTIONS.connectTimeout,
      maxRetriesPerRequest: WS_AUTH_REDIS_OPTIONS.maxRetriesPerRequest,
    });
    expect(options.clusterRetryStrategy?.(1_000_000)).toBe(1000);
  });
});
