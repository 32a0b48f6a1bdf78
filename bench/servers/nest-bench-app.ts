import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { Redis } from 'ioredis';
import { JwtVerifier, RedisSessionStore, WsAuthAdapter, WsAuthModule, type WsAuthModuleOptions } from 'nestjs-ws-auth';
import { BENCH_JWT_SECRET } from '../support/bench-credentials.js';
import { GuardedEchoGateway, OpenEchoGateway } from './bench-gateways.js';

/** The Nest app under test, with or without ws-auth; logging off, as its cost is not the subject. */
export async function startNestBenchApp(options: { auth: boolean; redisPort?: number }): Promise<{ app: INestApplication; port: number }> {
  const redis = options.redisPort === undefined ? undefined : await connectRedis(options.redisPort);
  const module = options.auth ? authModule(redis) : plainModule();
  const app = await NestFactory.create(module, { logger: false, abortOnError: false });
  app.useWebSocketAdapter(options.auth ? new WsAuthAdapter(app) : new WsAdapter(app));
  // Nest's default keeps HTTP backlog and timeouts as node's: the same for both flavours.
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  if (redis) {
    app.getHttpServer().once('close', () => redis.disconnect());
  }
  return { app, port: address.port };
}

function plainModule(): DynamicModule {
  @Module({ providers: [OpenEchoGateway] })
  class PlainBenchModule {}
  return { module: PlainBenchModule };
}

function authModule(redis: Redis | undefined): DynamicModule {
  const options: WsAuthModuleOptions = {
    verifiers: [new JwtVerifier({ secret: BENCH_JWT_SECRET, algorithms: ['HS256'], requiredClaims: ['sub', 'sid', 'iat', 'exp'] })],
    sessions: redis ? { store: new RedisSessionStore({ client: redis }) } : undefined,
  };
  @Module({ imports: [WsAuthModule.forRoot(options)], providers: [OpenEchoGateway, GuardedEchoGateway] })
  class AuthBenchModule {}
  return { module: AuthBenchModule };
}

/**
 * The command client as the library asks for it: no offline queue (a
 * handshake fails fast while Redis is away) and a bound on every command.
 */
async function connectRedis(port: number): Promise<Redis> {
  const client = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, commandTimeout: 1000, lazyConnect: true });
  await client.connect();
  return client;
}
