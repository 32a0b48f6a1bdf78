import { SetMetadata } from '@nestjs/common';
import { WS_AUTH_PUBLIC_METADATA } from '../ws-auth.constants.js';

/**
 * Serves a gateway without authentication. Every other gateway served by
 * `WsAuthAdapter` is authenticated at the handshake: protection is the
 * default, so a forgotten decorator fails closed (the `@Public()` pattern of
 * the Nest docs). A public gateway must not carry `@WsAuth()` or
 * `WsAuthGuard`; the bootstrap stops if it does.
 *
 * @example
 * ＠WsPublic()
 * ＠WebSocketGateway({ path: '/status' })
 */
export const WsPublic = (): ClassDecorator => SetMetadata(WS_AUTH_PUBLIC_METADATA, true);
