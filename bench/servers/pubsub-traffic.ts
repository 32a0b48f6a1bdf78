import type { Cluster, Redis } from 'ioredis';

/** Pub/sub messages this instance's subscriber connection has received since it started: its share of the fan-out. */
export const pubsubTraffic = { received: 0 };

/** Counts every message on `subscriber`, classic (`message`) and sharded (`smessage`) alike. */
export function countPubSubMessages(subscriber: Redis | Cluster): void {
  const count = () => void pubsubTraffic.received++;
  subscriber.on('message', count);
  subscriber.on('smessage', count);
}
