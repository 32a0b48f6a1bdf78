import type { Cluster, Redis } from 'ioredis';
import type { ChatRedis } from './redis.module.js';

/**
 * A connection of its own for SUBSCRIBE, from the app's client: pub/sub
 * takes a connection over. Unlike the app's client it queues while offline
 * (it sends nothing a request waits on), so its subscriptions are made as
 * soon as Redis is back.
 *
 * On one Redis, ioredis's own resubscription is off: it leaves its promise
 * without a handler, so a connection lost during it would be an unhandled
 * rejection, which ends the process; the caller subscribes again on every
 * `ready` instead. A Cluster client subscribes through one node it picks
 * itself and, when that node goes, subscribes again on another, handling
 * the failure.
 */
export function subscriberConnection(client: ChatRedis, options: { sharded?: boolean } = {}): ChatRedis {
  if (client.isCluster) {
    return (client as Cluster).duplicate([], { enableOfflineQueue: true, shardedSubscribers: options.sharded ?? false });
  }
  return (client as Redis).duplicate({ enableOfflineQueue: true, autoResubscribe: false });
}
