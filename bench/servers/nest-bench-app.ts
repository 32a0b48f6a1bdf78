import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { Redis } from 'ioredis';
import {
  createRedisClient,
  IssuerVerifier,
  MemoryTicketStore,
  RedisSessionStore,
  RedisTicketStore,
  WsAuthAdapter,
  WsAuthModule,
  type WsAuthModuleOptions,
  type WsTokenVerifier,
} from 'nestjs-ws-auth';
import { WsAuthIoAdapter } from 'nestjs-ws-auth/socket.io';
import {
  AllowAllEchoGateway,
  GuardedEchoGateway,
  OpenEchoGateway,
  TicketedEchoGateway,
  VerifierFloorEchoGateway,
  VerifyClientEchoGateway,
} from './bench-gateways.js';
import { benchJwtVerifier } from './bench-jwt-verifier.js';
import { GuardedEchoIoGateway, OpenEchoIoGateway } from './bench-io-gateways.js';
import { serveIssuerJwks } from './bench-issuer-jwks.js';
import { countPubSubMessages } from './pubsub-traffic.js';
import { connectSharedRedis } from './shared-redis-clients.js';
import type { BenchTransport, WsAuthServerOptions } from './server-config.js';

/**
 * Tickets minted per run can outnumber the memory store's default cap
 * (10 000, oldest evicted): a server expecting this load would raise it too.
 */
const MEMORY_TICKETS_CAP = 200_000;
const VALGRIND_VERIFY_TIMEOUT_MS = 10_000;

/** The Nest app under test, with or without ws-auth; logging off, as its cost is not the subject. */
export async function startNestBenchApp(
  auth: WsAuthServerOptions | undefined,
  transport: BenchTransport = 'ws',
): Promise<{ app: INestApplication; port: number }> {
  const cleanups: Array<() => void> = [];
  const module = auth ? await authModule(auth, transport, cleanups) : plainModule(transport);
  const app = await NestFactory.create(module, { logger: false, abortOnError: false });
  if (transport === 'socket.io') {
    app.useWebSocketAdapter(auth ? new WsAuthIoAdapter(app) : new IoAdapter(app));
  } else {
    app.useWebSocketAdapter(auth ? new WsAuthAdapter(app) : new WsAdapter(app));
  }
  await app.listen(0, '127.0.0.1');
  app.getHttpServer().once('close', () => cleanups.forEach((cleanup) => cleanup()));
  const address = app.getHttpServer().address() as { port: number };
  return { app, port: address.port };
}

function plainModule(transport: BenchTransport): DynamicModule {
  @Module({ providers: transport === 'socket.io' ? [OpenEchoIoGateway] : [OpenEchoGateway, VerifyClientEchoGateway, VerifierFloorEchoGateway] })
  class PlainBenchModule {}
  return { module: PlainBenchModule };
}

async function authModule(auth: WsAuthServerOptions, transport: BenchTransport, cleanups: Array<() => void>): Promise<DynamicModule> {
  const verifiers: WsTokenVerifier[] = [];
  if (auth.issuer) {
    const jwks = await serveIssuerJwks(auth.issuer);
    cleanups.push(() => jwks.server.close());
    // First, as in an app that takes an issuer's tokens beside its own.
    verifiers.push(new IssuerVerifier({ issuer: auth.issuer.issuer, audience: auth.issuer.audience, jwksUri: jwks.jwksUri, algorithms: ['RS256', 'ES256'] }));
  }
  verifiers.push(benchJwtVerifier());

  const options: WsAuthModuleOptions = { verifiers };
  if (auth.issuer) {
    // An issuer token is verified asynchronously, so the bound on verification
    // applies; under valgrind on a loaded machine a handshake can take longer
    // than the default second without anything being wrong.
    options.verifyTimeoutMs = VALGRIND_VERIFY_TIMEOUT_MS;
  }
  if (auth.sharedRedis) {
    const { client, subscriber, close } = await connectSharedRedis(auth.sharedRedis);
    cleanups.push(close);
    countPubSubMessages(subscriber);
    options.sessions = { store: new RedisSessionStore({ client, subscriber }) };
    options.tickets = { store: new RedisTicketStore(client) };
  } else if (auth.sessionsRedisPort !== undefined) {
    const client = await connectRedis(auth.sessionsRedisPort);
    cleanups.push(() => client.disconnect());
    options.sessions = { store: new RedisSessionStore({ client }) };
  }
  if (auth.tickets?.store === 'redis') {
    const client = createRedisClient(`redis://127.0.0.1:${auth.tickets.redisPort}`);
    await new Promise((resolve) => client.once('ready', resolve));
    cleanups.push(() => client.disconnect());
    options.tickets = { store: new RedisTicketStore(client) };
  } else if (auth.tickets?.store === 'memory') {
    options.tickets = { store: new MemoryTicketStore({ maxSize: MEMORY_TICKETS_CAP }) };
  }

  @Module({
    imports: [WsAuthModule.forRoot(options)],
    providers:
      transport === 'socket.io'
        ? [OpenEchoIoGateway, GuardedEchoIoGateway]
        : [OpenEchoGateway, GuardedEchoGateway, TicketedEchoGateway, AllowAllEchoGateway],
  })
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
