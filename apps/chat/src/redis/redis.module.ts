import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createRedisClient } from 'nestjs-ws-auth';
import { REDIS_CLIENT } from '../chat.constants.js';

/**
 * The one Redis connection of an instance (`REDIS_CLIENT`, `null` without
 * `REDIS_URL`), shared by whatever needs Redis. It connects in the
 * background, so the app starts while Redis is down and recovers when it
 * returns; it is closed with the app.
 */
@Module({})
export class RedisModule implements OnApplicationShutdown {
  static forRoot(url: string | undefined): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [{ provide: REDIS_CLIENT, useFactory: () => (url ? createRedisClient(url) : null) }],
      exports: [REDIS_CLIENT],
    };
  }

  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis | null) {}

  onApplicationShutdown(): void {
    // disconnect(), not quit(): quit would wait on a Redis that may be gone.
    this.redis?.disconnect();
  }
}
