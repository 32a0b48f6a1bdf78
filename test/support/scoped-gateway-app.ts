import { UseGuards } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  WsAuthGuard,
  WsAuthInfo,
  WsScopes,
  WsUser,
  type IssuerPrincipal,
  type WsTokenVerifier,
} from 'nestjs-ws-auth';
import { startTestApp, type RunningTestApp } from './guarded-test-app.js';

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

export interface RunningScopedGatewayApp extends RunningTestApp {
  /** `ws://127.0.0.1:PORT/scoped` */
  url: string;
}

/** Serves `ScopedGateway` through `WsAuthAdapter` with the given verifiers, on a free loopback port. */
export async function startScopedGatewayApp(verifiers: WsTokenVerifier[]): Promise<RunningScopedGatewayApp> {
  const server = await startTestApp({ auth: { verifiers }, gateways: [ScopedGateway] });
  return { ...server, url: `${server.ws}/scoped` };
}
