import { Module, UseGuards, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import {
  ConnectedSocket,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import {
  getWsAuth,
  WsAuthAdapter,
  WsAuthGuard,
  WsAuthInfo,
  WsAuthModule,
  WsPublic,
  WsScopes,
  WsUser,
  type WsAuthModuleOptions,
} from 'nestjs-ws-auth';
import type { WebSocket } from 'ws';
import { freePort } from './free-port.js';
import { LogCapture } from './log-capture.js';

/** What the guarded gateway saw in handleConnection, so tests can prove what reached it. */
export const connections: Array<{ subject: string | undefined; url: string | undefined }> = [];

/** A gateway guarded the plain Nest way, exercising every part of the library a handler can touch. */
@UseGuards(WsAuthGuard)
@WebSocketGateway({ path: '/secure' })
export class SecureGateway implements OnGatewayConnection {
  handleConnection(client: WebSocket, request: IncomingMessage): void {
    connections.push({ subject: getWsAuth(client)?.subject, url: request.url });
  }

  @SubscribeMessage('whoami')
  whoami(@WsUser() principal: unknown, @WsAuthInfo() auth: WsAuthInfo) {
    return { event: 'whoami', data: { principal, subject: auth.subject, source: auth.source, scopes: auth.scopes } };
  }

  @WsScopes('chat:write')
  @SubscribeMessage('write')
  write(@ConnectedSocket() _client: WebSocket) {
    return { event: 'written', data: true };
  }
}

/** A public gateway: served as plain WsAdapter serves it. */
@WsPublic()
@WebSocketGateway({ path: '/public' })
export class PublicGateway {
  @SubscribeMessage('ping')
  ping(@ConnectedSocket() client: WebSocket) {
    return { event: 'pong', data: { authenticated: getWsAuth(client) !== undefined } };
  }
}

export interface TestAppOptions {
  auth?: WsAuthModuleOptions;
  /** A module that imports WsAuthModule itself (forRootAsync and the like). */
  authModule?: ReturnType<typeof WsAuthModule.forRoot>;
  gateways?: Type[];
  providers?: Provider[];
  imports?: any[];
  /** Which adapter serves the gateways. Default `ws-auth`. */
  adapter?: 'ws-auth' | 'plain' | 'none';
}

export interface RunningTestApp {
  app: INestApplication;
  ws: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/** Builds and starts a small app around the library, on a free loopback port. */
export async function startTestApp(options: TestAppOptions): Promise<RunningTestApp> {
  const { app, logs } = await createTestApp(options);
  const port = await freePort();
  await app.listen(port, '127.0.0.1');
  return { app, ws: `ws://127.0.0.1:${port}`, logs, close: () => app.close() };
}

/** Builds the app without listening, for tests of bootstrap failures. */
export async function createTestApp(options: TestAppOptions): Promise<{ app: INestApplication; logs: LogCapture }> {
  const authModule = options.authModule ?? (options.auth ? WsAuthModule.forRoot(options.auth) : undefined);
  @Module({
    imports: [...(authModule ? [authModule] : []), ...(options.imports ?? [])],
    providers: [...(options.gateways ?? [SecureGateway, PublicGateway]), ...(options.providers ?? [])],
  })
  class TestAppModule {}

  const logs = new LogCapture();
  // abortOnError off: a bootstrap failure must reach the test as a rejection, not exit the process.
  const app = await NestFactory.create(TestAppModule, { logger: logs.logger(), abortOnError: false });
  const adapter = options.adapter ?? 'ws-auth';
  if (adapter === 'ws-auth') {
    app.useWebSocketAdapter(new WsAuthAdapter(app));
  } else if (adapter === 'plain') {
    app.useWebSocketAdapter(new WsAdapter(app));
  }
  return { app, logs };
}
