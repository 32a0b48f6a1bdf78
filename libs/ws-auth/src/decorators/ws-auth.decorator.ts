import { SetMetadata } from '@nestjs/common';
import { WS_AUTH_POLICY_METADATA } from '../ws-auth.constants.js';
import type { WsAuthPolicy } from '../interfaces/ws-auth-options.interface.js';

/**
 * Chooses a guarded gateway's credential sources; what it leaves out falls
 * back to `WsAuthModule.forRoot()`. The gateway still needs
 * `@UseGuards(WsAuthGuard)`: a policy on an unguarded gateway stops the app
 * at bootstrap rather than leave it open.
 *
 * @example
 * ＠WsAuth({ sources: ['protocol'] })
 * ＠UseGuards(WsAuthGuard)
 * ＠WebSocketGateway({ path: '/chat' })
 */
export const WsAuth = (policy: WsAuthPolicy): ClassDecorator => SetMetadata(WS_AUTH_POLICY_METADATA, policy);
