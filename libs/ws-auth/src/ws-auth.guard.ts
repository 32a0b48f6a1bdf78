import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import { WS_AUTH_SCOPES_METADATA } from './ws-auth.constants.js';
import type { WsAuthInfo } from './interfaces/ws-auth-info.interface.js';
import { getWsAuth } from './ws-auth.state.js';
import { WsAuthConfigurationError } from './ws-auth-configuration.error.js';

/**
 * Runs a message handler only for a socket whose credential is still valid
 * and grants the handler's `@WsScopes()`. `@WsAuth()` applies it to a
 * gateway's handlers; whether the handshake is authenticated does not depend
 * on it (`WsAuthAdapter` authenticates every gateway not marked `@WsPublic()`). A refused message gets `{"event":"exception","data":{...}}`
 * and the socket stays open.
 *
 * The protected methods are the extension points, as in `@nestjs/throttler`.
 */
@Injectable()
export class WsAuthGuard implements CanActivate {
  /**
   * Required scopes by gateway class, then handler, read from the metadata
   * once: decorators set it when the classes are defined, and reading it for
   * every message (reflect-metadata walks both prototype chains) was more
   * than half of the guard's own time in `npm run bench`.
   */
  private readonly requiredScopes = new WeakMap<object, WeakMap<object, readonly string[]>>();

  constructor(protected readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'ws') {
      throw new WsAuthConfigurationError('WsAuthGuard guards WebSocket gateways only');
    }
    const auth = this.getAuth(context);
    if (!auth || this.isExpired(auth)) {
      throw new WsException({ status: 'error', message: 'Unauthorized' });
    }
    const required = this.getRequiredScopes(context);
    if (!this.hasScopes(auth, required)) {
      throw new WsException({ status: 'error', message: 'Forbidden', error: 'insufficient_scope' });
    }
    return true;
  }

  protected getAuth(context: ExecutionContext): WsAuthInfo | undefined {
    return getWsAuth(context.switchToWs().getClient());
  }

  protected isExpired(auth: WsAuthInfo): boolean {
    return auth.expiresAt !== undefined && auth.expiresAt <= Date.now();
  }

  protected getRequiredScopes(context: ExecutionContext): readonly string[] {
    const type = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.requiredScopes.get(type);
    if (!byHandler) {
      byHandler = new WeakMap();
      this.requiredScopes.set(type, byHandler);
    }
    let scopes = byHandler.get(handler);
    if (scopes === undefined) {
      scopes = this.reflector.getAllAndOverride<string[] | undefined>(WS_AUTH_SCOPES_METADATA, [handler, type]) ?? [];
      byHandler.set(handler, scopes);
    }
    return scopes;
  }

  protected hasScopes(auth: WsAuthInfo, required: readonly string[]): boolean {
    return required.every((scope) => auth.scopes.includes(scope));
  }
}
