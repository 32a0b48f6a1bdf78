import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { WsAuthInfo as WsAuthInfoShape } from '../interfaces/ws-auth-info.interface.js';
import { getWsAuth } from '../ws-auth.state.js';

/**
 * The whole `WsAuthInfo` of the socket: subject, session, scopes, expiry and
 * source. The decorator and the type share one name, as a class would:
 * `@WsAuthInfo() auth: WsAuthInfo`.
 */
export const WsAuthInfo = createParamDecorator((_: unknown, context: ExecutionContext) =>
  getWsAuth(context.switchToWs().getClient()),
);
export type WsAuthInfo<TPrincipal = unknown> = WsAuthInfoShape<TPrincipal>;
