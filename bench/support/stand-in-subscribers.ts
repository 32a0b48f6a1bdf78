import { Redis } from 'ioredis';
import { isSessionEventsChannel } from '../servers/pubsub-traffic.js';
import type { RedisNodeSubscribers } from './redis-node-stats.js';

/**
 * Bare subscriber connections on the channel the instances hear events on, placed
 * as more instances would be: classic channels round-robin over every node
 * (an ioredis `Cluster` subscribes on a node of its choosing), shard channels
 * on the node that owns them (the only one that takes `SSUBSCRIBE`). Redis
 * does the same work per delivery for them as for an instance, so the
 * difference they make is what each further instance would cost it.
 */
export class StandInSubscribers {
  private received = 0;

  private constructor(private readonly connections: readonly Redis[]) {
    for (const connection of connections) {
      connection.on('message', () => void this.received++);
      connection.on('smessage', () => void this.received++);
    }
  }

  /** `count` subscribers, given where the instances' subscriptions sit now (per node port). */
  static async start(count: number, subscriptions: ReadonlyMap<number, RedisNodeSubscribers>): Promise<StandInSubscribers> {
    // The events channel alone: a Cluster link's probe channels are each one instance's own.
    const classic = [...new Set([...subscriptions.values()].flatMap((node) => Object.keys(node.channels)))].filter(isSessionEventsChannel);
    const sharded = [...subscriptions]
      .flatMap(([port, node]) => Object.keys(node.shardChannels).map((channel) => ({ port, channel })))
      .filter(({ channel }) => isSessionEventsChannel(channel));
    const ports = [...subscriptions.keys()];
    const connections: Redis[] = [];
    try {
      for (let i = 0; i < count; i++) {
        // With sharded pub/sub, every subscriber sits on the shard's node (one shard channel: ws-auth's).
        const port = sharded.length > 0 ? sharded[0].port : ports[i % ports.length];
        const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
        connections.push(redis);
        await redis.connect();
        if (classic.length > 0) {
          await redis.subscribe(...classic);
        }
        for (const shard of sharded.filter((shard) => shard.port === port)) {
          await redis.ssubscribe(shard.channel);
        }
      }
    } catch (error) {
      connections.forEach((connection) => connection.disconnect());
      throw error;
    }
    return new StandInSubscribers(connections);
  }

  get count(): number {
    return this.connections.length;
  }

  /** Messages received by all of them so far. */
  get messages(): number {
    return this.received;
  }

  stop(): void {
    this.connections.forEach((connection) => connection.disconnect());
  }
}
