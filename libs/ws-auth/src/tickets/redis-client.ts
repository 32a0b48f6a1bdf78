import { createRequire } from 'node:module';
import { Logger } from '@nestjs/common';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/**
 * What a Redis client on the handshake path needs. ioredis's defaults are
 * made for jobs that would rather wait than fail; a handshake must fail in
 * about a second instead, and the app must keep working (and reconnecting)
 * while Redis is away.
 */
export const WS_AUTH_REDIS_OPTIONS: Readonly<RedisOptions> = {
  // The default queues commands while disconnected, so a handshake would hang
  // until Redis returns. Off, a command fails at once and the client gets 503.
  enableOfflineQueue: false,
  // Bounds a command sent to a Redis that has stopped answering.
  commandTimeout: 1000,
  // A timed-out command stays in ioredis's queue, so on a link that lost it
  // (a partition that swallowed bytes) each later reply would be matched to
  // the command before it. A connection that sent a command and hears
  // nothing this long is replaced instead.
  socketTimeout: 1500,
  // A command caught by a dropped connection fails instead of being retried
  // across 20 reconnections.
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  // disconnect() arms this timer even for a connection that is already dead,
  // and it holds the process open: a shutdown while Redis is away would wait 2 s.
  disconnectTimeout: 500,
  // Keep reconnecting forever (never give up and stay down), at most a second apart.
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
};

// ioredis is an optional peer: loaded only by apps that call this. The
// package is CommonJS, where `require` is this module's own; only this
// repository's tests run these sources as ESM, from the repository's root.
const load: NodeJS.Require = typeof require === 'function' ? require : createRequire(`${process.cwd()}/package.json`);

/**
 * An ioredis client set up for `RedisTicketStore` (`WS_AUTH_REDIS_OPTIONS`,
 * your options on top). It connects in the background: the app starts while
 * Redis is down, and serves again when Redis returns, without a restart.
 * Connection errors are logged once per outage (never the URL, which may
 * hold a password) instead of crashing the process. Close it on shutdown
 * (`client.disconnect()`).
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const { Redis: RedisClient } = load('ioredis') as typeof import('ioredis');
  const client = new RedisClient(url, { ...WS_AUTH_REDIS_OPTIONS, ...options });
  reportOutages(client);
  return client;
}

/**
 * A Redis Cluster client set up like `createRedisClient()`'s: a command
 * fails at once while the cluster is not ready (no offline queue) and is
 * bounded when a node stops answering; the client keeps looking for the
 * cluster forever. `nodes` are seeds (`"host:port,host:port"` or objects):
 * the client learns the rest from `CLUSTER SLOTS`.
 */
export function createRedisClusterClient(nodes: string | ClusterNode[], options: ClusterOptions = {}): Cluster {
  const { Cluster: ClusterClient } = load('ioredis') as typeof import('ioredis');
  // The node connections keep ioredis's own offline queue (they connect
  // lazily, on their first command); the cluster-level one is what a
  // caller's command would wait in.
  const { enableOfflineQueue: _queue, retryStrategy: _retry, ...nodeOptions } = WS_AUTH_REDIS_OPTIONS;
  const client = new ClusterClient(typeof nodes === 'string' ? parseClusterNodes(nodes) : nodes, {
    enableOfflineQueue: false,
    clusterRetryStrategy: WS_AUTH_REDIS_OPTIONS.retryStrategy,
    ...options,
    redisOptions: { ...nodeOptions, ...options.redisOptions },
  });
  reportOutages(client);
  return client;
}

/** `"host:port,host:port"` as ioredis's seed nodes. */
function parseClusterNodes(nodes: string): Array<{ host: string; port: number }> {
  return nodes
    .split(',')
    .map((node) => node.trim())
    .filter(Boolean)
    .map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(node.slice(at + 1)) };
    });
}

function reportOutages(client: Redis | Cluster): void {
  const logger = new Logger('WsAuth');
  // One warning per outage, not one per reconnection attempt. A lost
  // connection shows as 'reconnecting' (no 'error'), a failed connect as
  // 'error'; listening to 'error' also keeps ioredis from printing each one.
  let down = false;
  const report = (why: string) => {
    if (!down) {
      down = true;
      logger.warn(`Redis is unreachable (${why}); retrying in the background`);
    }
  };
  client.on('error', (error: NodeJS.ErrnoException) => report(error.code ?? error.name));
  client.on('reconnecting', () => report('connection lost'));
  client.on('ready', () => {
    if (down) {
      down = false;
      logger.log('Redis is reachable again');
    }
  });
}
