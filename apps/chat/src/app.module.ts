import { Module, type DynamicModule } from '@nestjs/common';
import { JwtModule, type JwtModuleOptions } from '@nestjs/jwt';
import { Registry } from 'prom-client';
import {
  IssuerVerifier,
  JwtVerifier,
  RedisSessionStore,
  RedisTicketStore,
  WsAuthModule,
  type WsTokenVerifier,
} from 'nestjs-ws-auth';
import { AuthController } from './auth/auth.controller.js';
import { AuthService } from './auth/auth.service.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { UsersService } from './auth/users.service.js';
import type { ChatConfig } from './chat.config.js';
import { CHAT_CONFIG, METRICS_REGISTRY, REDIS_CLIENT } from './chat.constants.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { ChatGateway } from './chat/chat.gateway.js';
import { FeedGateway } from './feed/feed.gateway.js';
import { RoomsService } from './chat/rooms.service.js';
import { ChatIoGateway } from './socket-io/chat-io.gateway.js';
import { RedisModule, type ChatRedis } from './redis/redis.module.js';

/** Own tokens may drift this far from our clock (CONTRACT.md: at most 5 s). */
const CLOCK_TOLERANCE_SEC = 5;
/** CONTRACT.md: a key the issuer starts using is accepted within 60 s. */
const ISSUER_KEYS_COOLDOWN_MS = 30_000;

@Module({})
export class AppModule {
  static forRoot(config: ChatConfig): DynamicModule {
    // Built here, not in the factory: a bad issuer setting stops the start
    // with its own error before Nest boots.
    // Written once: JwtModule signs with these options, and our verifier reads the same object.
    const jwtOptions: JwtModuleOptions = { secret: config.jwtSecret, signOptions: { algorithm: 'HS256' } };
    const verifiers = chatVerifiers(config, jwtOptions);
    // One registry per app, not prom-client's global one: several apps in one
    // process (the tests) would register the same series twice.
    const metrics = new Registry();
    return {
      module: AppModule,
      imports: [
        JwtModule.register(jwtOptions),
        RedisModule.forRoot(config.redis),
        WsAuthModule.forRootAsync({
          inject: [REDIS_CLIENT],
          // Without REDIS_URL or REDIS_CLUSTER_NODES, the embedded memory stores: one instance only.
          useFactory: (redis: ChatRedis | null) => ({
            allowedOrigins: config.allowedOrigins,
            firstMessageTimeoutMs: config.authTimeoutMs,
            maxSocketsPerSubject: config.maxSocketsPerUser,
            metrics: { registry: metrics },
            verifiers,
            tickets: {
              ttlSec: config.ticketTtlSec,
              store: redis ? new RedisTicketStore(redis) : undefined,
            },
            sessions: { store: redis ? new RedisSessionStore({ client: redis }) : undefined },
          }),
        }),
      ],
      controllers: [AuthController, MetricsController],
      providers: [
        { provide: CHAT_CONFIG, useValue: config },
        { provide: METRICS_REGISTRY, useValue: metrics },
        UsersService,
        AuthService,
        LoginThrottle,
        // Socket.IO has no /feed: its `auth` payload already travels in the first packet.
        ...(config.transport === 'socket.io' ? [ChatIoGateway] : [RoomsService, ChatGateway, FeedGateway]),
      ],
    };
  }
}

/**
 * The issuer's verifier comes first: our own verifier claims every JWT, so a
 * token whose `iss` is the issuer must be judged (and refused) by the issuer's
 * keys before ours could accept it.
 */
function chatVerifiers(config: ChatConfig, jwtOptions: JwtModuleOptions): WsTokenVerifier[] {
  const own = JwtVerifier.fromJwtModuleOptions(jwtOptions, {
    clockToleranceSec: CLOCK_TOLERANCE_SEC,
    requiredClaims: ['sub', 'sid', 'iat', 'exp'],
  });
  if (!config.oidc) {
    return [own];
  }
  const issuer = new IssuerVerifier({
    issuer: config.oidc.issuer,
    audience: config.oidc.audience,
    algorithms: ['RS256', 'ES256'],
    clockToleranceSec: CLOCK_TOLERANCE_SEC,
    keysCooldownMs: ISSUER_KEYS_COOLDOWN_MS,
  });
  return [issuer, own];
}
