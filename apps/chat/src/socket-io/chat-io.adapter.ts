import type { INestApplicationContext } from '@nestjs/common';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { WsAuthIoAdapter } from 'nestjs-ws-auth/socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { ChatRedis } from '../redis/redis.module.js';
import { subscriberConnection } from '../redis/subscriber-connection.js';

/** The commands `@socket.io/redis-adapter` sends without handling their failure (the sharded ones on a Cluster). */
const FIRE_AND_FORGET = new Set<string | symbol>([
  'publish',
  'subscribe',
  'psubscribe',
  'unsubscribe',
  'punsubscribe',
  'spublish',
  'ssubscribe',
  'sunsubscribe',
]);

/**
 * The client as the Redis adapter sees it, with those commands' rejections
 * handled: while Redis is down a `say` reaches this instance's members only
 * (CONTRACT.md), instead of an unhandled rejection that would end the process.
 */
function withHandledFailures<T extends ChatRedis>(client: T): T {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') {
        return value;
      }
      if (!FIRE_AND_FORGET.has(property)) {
        return value.bind(target);
      }
      return (...args: unknown[]) => {
        const result = (value as (...args: unknown[]) => unknown).apply(target, args);
        (result as Promise<unknown> | undefined)?.catch?.(() => undefined);
        return result;
      };
    },
  });
}

/**
 * `WsAuthIoAdapter`, with rooms shared across instances through
 * `@socket.io/redis-adapter` when the app has Redis: Socket.IO's own engine
 * for that, publishing on the app's client and subscribing on one of its own.
 *
 * On a Redis Cluster it is the sharded adapter (SPUBLISH/SSUBSCRIBE, Redis 7):
 * a classic PUBLISH is copied to every node of the cluster over its bus, so
 * each broadcast would cost every node, however many shards are added; a
 * sharded message stays within the shard that owns its channel's slot. It
 * runs in its static mode, one channel for the namespace, subscribed once at
 * the start: the default dynamic mode (a channel per room) subscribes when a
 * room is created, after the join is acknowledged, so what is said at once
 * after a join on another instance would miss the new member. While that
 * channel's shard is down, rooms reach this instance's members only. The
 * subscriber keeps one connection per shard (ioredis's `shardedSubscribers`).
 */
export class ChatIoAdapter extends WsAuthIoAdapter {
  private readonly subscribers: ChatRedis[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly redis: ChatRedis | null,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, options);
    if (this.redis) {
      // Its subscriptions wait for a Redis that is down (the app's client
      // refuses commands at once instead, so handshakes fail fast), and are
      // made again on every reconnection.
      if (this.redis.isCluster) {
        const subscriber = subscriberConnection(this.redis, { sharded: true });
        subscriber.on('error', () => undefined); // the command client reports outages
        this.subscribers.push(subscriber);
        server.adapter(createShardedAdapter(withHandledFailures(this.redis), withHandledFailures(subscriber), { subscriptionMode: 'static' }));
      } else {
        const subscriber = (this.redis as Redis).duplicate({ enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
        this.subscribers.push(subscriber);
        server.adapter(createAdapter(withHandledFailures(this.redis), withHandledFailures(subscriber)));
      }
    }
    return server;
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    for (const subscriber of this.subscribers.splice(0)) {
      subscriber.disconnect();
    }
  }
}
