import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { OutageLog } from './redis-outage-log.js';

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

/** The ioredis package, loaded when a client is made (it is an optional peer). */
export function loadIoredis(): typeof import('ioredis') {
  return load('ioredis') as typeof import('ioredis');
}

/**
 * An ioredis client set up for `RedisTicketStore` (`WS_AUTH_REDIS_OPTIONS`,
 * your options on top). It connects in the background: the app starts while
 * Redis is down, and serves again when Redis returns, without a restart.
 * Connection errors are logged once per outage (never the URL, which may
 * hold a password) instead of crashing the process. Close it on shutdown
 * (`client.disconnect()`).
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const { Redis: RedisClient } = loadIoredis();
  const client = new RedisClient(url, { ...WS_AUTH_REDIS_OPTIONS, ...options });
  const outage = new OutageLog('Redis');
  // A lost connection shows as 'reconnecting' (no 'error'), a failed connect
  // as 'error'; listening to 'error' also keeps ioredis from printing each one.
  client.on('error', (error: NodeJS.ErrnoException) => outage.down(error.code ?? error.name));
  client.on('reconnecting', () => outage.down('connection lost'));
  client.on('ready', () => outage.up());
  return client;
}
