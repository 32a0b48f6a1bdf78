import { fileURLToPath } from 'node:url';
import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ServerResponse } from 'node:http';
import { WsAuthAdapter } from 'nestjs-ws-auth';
import { REDIS_CLIENT } from './chat.constants.js';
import { ChatIoAdapter } from './socket-io/chat-io.adapter.js';
import type { ChatRedis } from './redis/redis.module.js';
import { AppModule } from './app.module.js';
import type { ChatConfig } from './chat.config.js';
import { NotFoundFilter } from './not-found.filter.js';

// Three levels up is the repository root from apps/chat/src and from dist/apps/chat alike.
const root = new URL('../../../', import.meta.url);
const PUBLIC_DIR = fileURLToPath(new URL('apps/chat/public/', root));
/** WS_TRANSPORT=socket.io: its own page and script, served before the plain WebSocket ones. */
const SOCKET_IO_PUBLIC_DIR = fileURLToPath(new URL('apps/chat/public-socket.io/', root));
const CLIENT_DIR = fileURLToPath(new URL('libs/ws-auth-client/dist/', root));

/** The page loads only its own scripts and talks only to its own origin (sockets included). */
const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
const setPageHeaders = (res: ServerResponse) => Object.entries(PAGE_HEADERS).forEach(([name, value]) => res.setHeader(name, value));

/** Builds the app from a config, so tests can start it without touching process.env. */
export async function createChatApp(config: ChatConfig, logger?: false | LoggerService): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), logger === undefined ? {} : { logger });
  app.useWebSocketAdapter(
    config.transport === 'socket.io' ? new ChatIoAdapter(app, app.get<ChatRedis | null>(REDIS_CLIENT)) : new WsAuthAdapter(app),
  );
  app.disable('x-powered-by');
  app.useGlobalFilters(new NotFoundFilter());
  if (config.transport === 'socket.io') {
    app.useStaticAssets(SOCKET_IO_PUBLIC_DIR, { setHeaders: setPageHeaders });
  }
  app.useStaticAssets(PUBLIC_DIR, { setHeaders: setPageHeaders });
  app.useStaticAssets(CLIENT_DIR, { prefix: '/js/', setHeaders: setPageHeaders });
  app.enableShutdownHooks();
  if (config.jwtSecretGenerated) {
    new Logger('Chat').warn('JWT_SECRET is not set: using a random secret, so tokens die with this process');
  }
  return app;
}
