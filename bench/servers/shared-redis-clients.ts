import { Cluster, type ClusterOptions, type Redis } from 'ioredis';
import { createRedisClient, WS_AUTH_REDIS_OPTIONS } from 'nestjs-ws-auth';
import type { BenchRedisEndpoint } from './server-config.js';

/** The clients of one instance sharing a Redis with others: commands, and pub/sub on a connection of its own. */
export interface SharedRedisClients {
  readonly client: Redis | Cluster;
  readonly subscriber: Redis | Cluster;
  close(): void;
}

/**
 * The subscriber as `RedisSessionStore` makes it by default (`duplicate()`):
 * it carries SUBSCRIBE and PING alone, so it may queue while offline, and it
 * reconnects quickly. The bench makes it itself to count what arrives on it.
 */
const SUBSCRIBER_RETRY = (attempt: number) => Math.min(attempt * 50, 250);

/**
 * A cluster client that fails fast as `createRedisClient()`'s single-node one
 * does: `WS_AUTH_REDIS_OPTIONS` for every node connection, and the offline
 * queue and the retry strategy at the cluster's level, where ioredis takes them.
 */
function clusterOptions(offlineQueue: boolean, retry: ClusterOptions['clusterRetryStrategy']): ClusterOptions {
  const { enableOfflineQueue: _queue, retryStrategy: _retry, ...nodeOptions } = WS_AUTH_REDIS_OPTIONS;
  return { enableOfflineQueue: offlineQueue, clusterRetryStrategy: retry, redisOptions: nodeOptions };
}

export async function connectSharedRedis(endpoint: BenchRedisEndpoint): Promise<SharedRedisClients> {
  let client: Redis | Cluster;
  let subscriber: Redis | Cluster;
  if (endpoint.kind === 'single') {
    const redis = createRedisClient(`redis://127.0.0.1:${endpoint.port}`);
    client = redis;
    subscriber = redis.duplicate({ enableOfflineQueue: true, retryStrategy: SUBSCRIBER_RETRY });
  } else {
    const nodes = endpoint.nodes.map(({ host, port }) => ({ host, port }));
    client = new Cluster(nodes, clusterOptions(false, WS_AUTH_REDIS_OPTIONS.retryStrategy));
    subscriber = new Cluster(nodes, clusterOptions(true, SUBSCRIBER_RETRY));
  }
  client.on('error', () => undefined);
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
