import { Redis } from 'ioredis';

/**
 * What one Redis node has done since it started, as far as pub/sub goes: the
 * counters the scale-out suite subtracts before and after a burst of
 * revocations. Redis counts no deliveries to subscribers, so the suite
 * computes those from publishes seen and local subscribers.
 */
export interface RedisNodeCounters {
  /** `PUBLISH` calls this node served (`INFO commandstats`). */
  readonly publishCalls: number;
  /** `SPUBLISH` calls (sharded pub/sub, Redis 7). */
  readonly spublishCalls: number;
  /** Bytes this node wrote to its clients (`total_net_output_bytes`): replies and pub/sub messages; not the cluster bus. */
  readonly netOutputBytes: number;
  /** User + system CPU of the redis-server process, µs. */
  readonly cpuMicros: number;
  /** Cluster bus messages carrying a classic publish to another node, and from one (`CLUSTER INFO`). */
  readonly busPublishSent: number;
  readonly busPublishReceived: number;
  /** The same for sharded publishes (sent to the shard's replicas only). */
  readonly busShardPublishSent: number;
  readonly busShardPublishReceived: number;
}

/** Who listens on this node: subscribers of its connected clients, per kind of pub/sub. */
export interface RedisNodeSubscribers {
  /** Classic channels with their local subscriber counts (`PUBSUB CHANNELS` / `NUMSUB`). */
  readonly channels: Record<string, number>;
  /** Shard channels with theirs (`PUBSUB SHARDCHANNELS` / `SHARDNUMSUB`). */
  readonly shardChannels: Record<string, number>;
}

/** A connection of the bench's own to one node, for INFO and PUBSUB only. */
export class RedisNodeProbe {
  private constructor(
    readonly port: number,
    private readonly redis: Redis,
    private readonly cluster: boolean,
  ) {}

  static async connect(port: number): Promise<RedisNodeProbe> {
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const info = await redis.info('cluster');
    return new RedisNodeProbe(port, redis, /cluster_enabled:1/.test(info));
  }

  async counters(): Promise<RedisNodeCounters> {
    const info = await this.redis.info('everything');
    const bus = this.cluster ? await this.redis.cluster('INFO') : '';
    const field = (text: string, name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
    const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return {
      publishCalls: calls('publish'),
      spublishCalls: calls('spublish'),
      netOutputBytes: field(info, 'total_net_output_bytes'),
      cpuMicros: Math.round((field(info, 'used_cpu_user') + field(info, 'used_cpu_sys')) * 1e6),
      busPublishSent: field(bus, 'cluster_stats_messages_publish_sent'),
      busPublishReceived: field(bus, 'cluster_stats_messages_publish_received'),
      busShardPublishSent: field(bus, 'cluster_stats_messages_publishshard_sent'),
      busShardPublishReceived: field(bus, 'cluster_stats_messages_publishshard_received'),
    };
  }

  async subscribers(): Promise<RedisNodeSubscribers> {
    const counts = async (list: string, numsub: string) => {
      const names = (await this.redis.call('PUBSUB', list)) as string[];
      if (names.length === 0) {
        return {};
      }
      const flat = (await this.redis.call('PUBSUB', numsub, ...names)) as Array<string | number>;
      const result: Record<string, number> = {};
      for (let i = 0; i < flat.length; i += 2) {
        result[String(flat[i])] = Number(flat[i + 1]);
      }
      return result;
    };
    return { channels: await counts('CHANNELS', 'NUMSUB'), shardChannels: await counts('SHARDCHANNELS', 'SHARDNUMSUB') };
  }

  close(): void {
    this.redis.disconnect();
  }
}

/** `after - before`, field by field. */
export function countersBetween(before: RedisNodeCounters, after: RedisNodeCounters): RedisNodeCounters {
  const delta = {} as Record<keyof RedisNodeCounters, number>;
  for (const key of Object.keys(before) as Array<keyof RedisNodeCounters>) {
    delta[key] = after[key] - before[key];
  }
  return delta;
}
