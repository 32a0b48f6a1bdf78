import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { createRedisClient, createRedisClusterClient } from 'nestjs-ws-auth';
import type { ChatRedisConfig } from '../chat.config.js';
import { REDIS_CLIENT } from '../chat.constants.js';

/** What `REDIS_CLIENT` holds: one Redis, or a Redis Cluster, which the stores and rooms take alike. */
export type ChatRedis = Redis | Cluster;

/**
 * The one Redis connection of an instance (`REDIS_CLIENT`, `null` without
 * `REDIS_URL` or `REDIS_CLUSTER_NODES`), shared by whatever needs Redis. It
 * connects in the background, so the app starts while Redis is down and
 * recovers when it returns; it is closed with the app.
 */
@Module({})
export class RedisModule implements OnApplicationShutdown {
  static forRoot(redis: ChatRedisConfig | undefined): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [{ provide: REDIS_CLIENT, useFactory: () => createClient(redis) }],
      exports: [REDIS_CLIENT],
    };
  }

  constructor(@Inject(REDIS_CLIENT) private readonly redis: ChatRedis | null) {}

  onApplicationShutdown(): void {
    // disconnect(), not quit(): quit would wait on a Redis that may be gone.
    this.redis?.disconnect();
  }
}

function createClient(redis: ChatRedisConfig | undefined): ChatRedis | null {
  if (!redis) {
    return null;
  }
  if ('url' in redis) {
    return createRedisClient(redis.url);
  }
  try {
    return createRedisClusterClient(redis.clusterNodes);
  } catch (error) {
    // The library's message never repeats the list (a URL pasted there may
    // hold a password); this one says which variable to fix.
    throw new Error(`REDIS_CLUSTER_NODES: ${(error as Error).message}`, { cause: error });
  }
}
