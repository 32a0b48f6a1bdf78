import { Module, UseGuards, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  WsAuthAdapter,
  WsAuthGuard,
  WsAuthInfo,
  WsAuthModule,
  WsScopes,
  WsUser,
  type IssuerPrincipal,
  type WsTokenVerifier,
} from 'nestjs-ws-auth';
import { freePort } from './free-port.js';
import { LogCapture } from './log-capture.js';

/** A gateway whose handlers need scopes, as a resource server for an issuer's tokens would have. */
@UseGuards(WsAuthGuard)
@WebSocketGateway({ path: '/scoped' })
export class ScopedGateway {
  @SubscribeMessage('whoami')
  whoami(@WsAuthInfo() auth: WsAuthInfo, @WsUser() principal: Partial<IssuerPrincipal>) {
    return {
      event: 'whoami',
      data: { sub: auth.subject, scopes: auth.scopes, issuer: principal.issuer, clientId: principal.clientId },
    };
  }

  @WsScopes('chat:read')
  @SubscribeMessage('read')
  read() {
    return { event: 'read', data: { ok: true } };
  }

  @WsScopes('chat:write')
  @SubscribeMessage('write')
  write() {
    return { event: 'written', data: { ok: true } };
  }
}

@Module({})
class ScopedGatewayModule {
  static forRoot(verifiers: WsTokenVerifier[]): DynamicModule {
    return {
      module: ScopedGatewayModule,
      imports: [WsAuthModule.forRoot({ verifiers })],
      providers: [ScopedGateway],
    };
  }
}

export interface RunningScopedGatewayApp {
  app: INestApplication;
  /** `ws://127.0.0.1:PORT/scoped` */
  url: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/** Serves `ScopedGateway` through `WsAuthAdapter` with the given verifiers, on a free loopback port. */
export async function startScopedGatewayApp(verifiers: WsTokenVerifier[]): Promise<RunningScopedGatewayApp> {
  const port = await freePort();
  const logs = new LogCapture();
  const app = await NestFactory.create(ScopedGatewayModule.forRoot(verifiers), { logger: logs.logger() });
  app.useWebSocketAdapter(new WsAuthAdapter(app));
  await app.listen(port, '127.0.0.1');
  return { app, url: `ws://127.0.0.1:${port}/scoped`, logs, close: () => app.close() };
}
