import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAuthAdapter } from 'nestjs-ws-auth';
import { AppModule } from './app.module.js';
import type { ChatConfig } from './chat.config.js';

/** Builds the app from a config, so tests can start it without touching process.env. */
export async function createChatApp(config: ChatConfig, logger?: false | LoggerService): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), logger === undefined ? {} : { logger });
  app.useWebSocketAdapter(new WsAuthAdapter(app));
  app.enableShutdownHooks();
  if (config.jwtSecretGenerated) {
    new Logger('Chat').warn('JWT_SECRET is not set: using a random secret, so tokens die with this process');
  }
  return app;
}
