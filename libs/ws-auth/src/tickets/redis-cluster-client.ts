import type { Cluster, ClusterNode, ClusterOptions, Redis } from 'ioredis';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import { loadIoredis, WS_AUTH_REDIS_OPTIONS } from './redis-client.js';
import { OutageLog } from './redis-outage-log.js';

/**
 * `WS_AUTH_REDIS_OPTIONS` as a Cluster takes them. The per-node options go
 * to every node's connection (`redisOptions`); queueing and reconnecting are
 * the Cluster's own: it queues nothing while a node is away (a handshake
 * fails at once instead of hanging), and reconnects forever in the background.
 * MOVED, ASK, TRYAGAIN and CLUSTERDOWN keep ioredis's short retries: they
 * ride through a resharding or a failover, and `commandTimeout` still
 * bounds each command as a whole.
 */
const { enableOfflineQueue, retryStrategy, ...nodeOptions } = WS_AUTH_REDIS_OPTIONS;
const WS_AUTH_REDIS_CLUSTER_OPTIONS: Readonly<ClusterOptions> = {
  enableOfflineQueue,
  // Called when every seed failed (all down, or none reachable at start):
  // a number means "try again", so the app keeps running and reconnects.
  clusterRetryStrategy: (attempt: number) => retryStrategy!(attempt) as number,
  redisOptions: nodeOptions,
};

/**
 * An ioredis `Cluster` set up for `RedisTicketStore` and `RedisSessionStore`,
 * as `createRedisClient()` is for one Redis: fails fast, connects and
 * reconnects in the background (the app starts while every seed is down),
 * and logs one line per outage, never an address or a password. `nodes` is
 * a list of seeds, or the `host:port,host:port` form of `REDIS_CLUSTER_NODES`;
 * your `options` go on top (`redisOptions` merged, so a password or TLS keeps
 * the timeouts). Close it on shutdown (`client.disconnect()`).
 */
export function createRedisClusterClient(nodes: string | Array<{ host: string; port: number }>, options: ClusterOptions = {}): Cluster {
  const { Cluster: ClusterClient } = loadIoredis();
  const cluster = new ClusterClient(typeof nodes === 'string' ? parseSeeds(nodes) : nodes, {
    ...WS_AUTH_REDIS_CLUSTER_OPTIONS,
    ...options,
    redisOptions: { ...WS_AUTH_REDIS_CLUSTER_OPTIONS.redisOptions, ...options.redisOptions },
  });
  // The Cluster as a whole: every seed failed ('error'), or it lost them all
  // and starts over ('reconnecting'). Listening to 'error' also keeps ioredis
  // from printing each one.
  const whole = new OutageLog('Redis Cluster');
  cluster.on('error', (error: NodeJS.ErrnoException) => whole.down(error.code ?? error.name));
  cluster.on('reconnecting', () => whole.down('connection lost'));
  cluster.on('ready', () => whole.up());
  // One node away (a master down) leaves the Cluster "ready": only its
  // connection reports it, and only that node's next connection that becomes
  // ready ends the outage.
  const someNode = new OutageLog('A Redis Cluster node');
  const downNodes = new Set<string>();
  cluster.on('node error', (error: NodeJS.ErrnoException, key: string) => {
    downNodes.add(key);
    someNode.down(error.code ?? error.name);
  });
  cluster.on('+node', (node: Redis) => {
    node.once('ready', () => {
      if (downNodes.delete(`${node.options.host}:${node.options.port}`) && downNodes.size === 0) {
        someNode.up();
      }
    });
  });
  return cluster;
}

/** `host:port,host:port` (IPv6 as `[::1]:port`), as `REDIS_CLUSTER_NODES` holds it. */
function parseSeeds(list: string): ClusterNode[] {
  const seeds = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry, index) => {
      // A host name or IPv4 address, or an IPv6 address in brackets: never a
      // URL, whose user info would otherwise pass for part of a host.
      const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65_535) {
        // Not echoed: a misplaced URL may hold a password.
        throw new WsAuthConfigurationError(`every Redis Cluster seed must be host:port (a comma-separated list); seed ${index + 1} is not`);
      }
      const host = match[1].replace(/^\[(.*)\]$/, '$1');
      return { host, port };
    });
  if (seeds.length === 0) {
    throw new WsAuthConfigurationError('a Redis Cluster needs at least one seed node (host:port)');
  }
  return seeds;
}
