import type { Cluster, Redis } from 'ioredis';

/** Pub/sub messages on the session events channel this instance's subscriber has received since it started: its share of the fan-out. */
export const pubsubTraffic = { received: 0 };

/**
 * Whether a channel is `RedisSessionStore`'s events channel; its other
 * channels (a Cluster link's echo probes) are the store's upkeep, not fan-out.
 */
export function isSessionEventsChannel(channel: string): boolean {
  return channel.endsWith('session-events');
}

/** Counts the events channel's messages on `subscriber`, classic (`message`) and sharded (`smessage`) alike. */
export function countPubSubMessages(subscriber: Redis | Cluster): void {
  const count = (channel: string) => {
    if (isSessionEventsChannel(channel)) {
      pubsubTraffic.received++;
    }
  };
  subscriber.on('message', count);
  subscriber.on('smessage', count);
}
