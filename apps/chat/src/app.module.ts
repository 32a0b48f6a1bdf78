import { Module, type DynamicModule } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import type { Redis } from 'ioredis';
import { JwtVerifier, RedisTicketStore, WsAuthModule } from 'nestjs-ws-auth';
import { AuthController } from './auth/auth.controller.js';
import { AuthService } from './auth/auth.service.js';
import { UsersService } from './auth/users.service.js';
import type { ChatConfig } from './chat.config.js';
import { CHAT_CONFIG, REDIS_CLIENT } from './chat.constants.js';
import { ChatGateway } from './chat/chat.gateway.js';
import { RoomsService } from './chat/rooms.service.js';
import { RedisModule } from './redis/redis.module.js';

/** Own tokens may drift this far from our clock (CONTRACT.md: at most 5 s). */
const CLOCK_TOLERANCE_SEC = 5;

@Module({})
export class AppModule {
  static forRoot(config: ChatConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        JwtModule.register({ secret: config.jwtSecret, signOptions: { algorithm: 'HS256' } }),
        RedisModule.forRoot(config.redisUrl),
        WsAuthModule.forRootAsync({
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis | null) => ({
            allowedOrigins: config.allowedOrigins,
            verifiers: [
              new JwtVerifier({
                secret: config.jwtSecret,
                algorithms: ['HS256'],
                clockToleranceSec: CLOCK_TOLERANCE_SEC,
                requiredClaims: ['sub', 'sid', 'iat', 'exp'],
              }),
            ],
            tickets: {
              ttlSec: config.ticketTtlSec,
              // Without REDIS_URL, the embedded memory store: one instance only.
              store: redis ? new RedisTicketStore(redis) : undefined,
            },
          }),
        }),
      ],
      controllers: [AuthController],
      providers: [{ provide: CHAT_CONFIG, useValue: config }, UsersService, AuthService, RoomsService, ChatGateway],
    };
  }
}
