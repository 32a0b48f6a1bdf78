import type { Cluster, Redis } from 'ioredis';
import { createRedisClient, createRedisClusterClient } from 'nestjs-ws-auth';
import type { BenchRedisEndpoint } from './server-config.js';

/** The clients of one instance sharing a Redis with others: commands, and pub/sub on a connection of its own. */
export interface SharedRedisClients {
  readonly client: Redis | Cluster;
  readonly subscriber: Redis | Cluster;
  close(): void;
}

/**
 * The clients as an app makes them (`createRedisClient()`,
 * `createRedisClusterClient()`), and the subscriber as `RedisSessionStore`
 * makes it by default: the bench makes it itself only to count what arrives
 * on it. On one Redis it carries SUBSCRIBE and PING alone, so it may queue
 * while offline and reconnects quickly; on a Cluster it follows the events
 * channel's shard (`shardedSubscribers`).
 */
export async function connectSharedRedis(endpoint: BenchRedisEndpoint): Promise<SharedRedisClients> {
  let client: Redis | Cluster;
  let subscriber: Redis | Cluster;
  if (endpoint.kind === 'single') {
    const redis = createRedisClient(`redis://127.0.0.1:${endpoint.port}`);
    client = redis;
    subscriber = redis.duplicate({ enableOfflineQueue: true, retryStrategy: (attempt: number) => Math.min(attempt * 50, 250) });
  } else {
    const cluster = createRedisClusterClient(endpoint.nodes.map(({ host, port }) => ({ host, port })));
    client = cluster;
    subscriber = cluster.duplicate([], { shardedSubscribers: true, enableOfflineQueue: true });
  }
  await Promise.all([client, subscriber].map((connection) => new Promise((resolve) => connection.once('ready', resolve))));
  return {
    client,
    subscriber,
    close: () => {
      subscriber.disconnect();
      client.disconnect();
    },
  };
}
