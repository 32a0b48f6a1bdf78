import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { WS_AUTH_POLICY_METADATA } from '../ws-auth.constants.js';
import type { WsAuthPolicy } from '../interfaces/ws-auth-options.interface.js';
import { WsAuthGuard } from '../ws-auth.guard.js';

/**
 * Marks a gateway as authenticated at the handshake, with its own credential
 * policy (what it leaves out falls back to `WsAuthModule.forRoot()`), and
 * guards its message handlers with `WsAuthGuard`. Gateways served by
 * `WsAuthAdapter` are authenticated even without it; it says so where the
 * gateway is read, and sets the policy. Your own `WsAuthGuard` subclass in
 * `@UseGuards()` on top changes how messages are judged, never whether the
 * handshake is authenticated.
 *
 * @example
 * ＠WsAuth({ sources: ['ticket', 'protocol'] })
 * ＠WebSocketGateway({ path: '/chat' })
 */
export const WsAuth = (policy: WsAuthPolicy = {}): ClassDecorator =>
  applyDecorators(SetMetadata(WS_AUTH_POLICY_METADATA, policy), UseGuards(WsAuthGuard));
