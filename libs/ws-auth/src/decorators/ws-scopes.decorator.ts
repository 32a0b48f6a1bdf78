import { SetMetadata } from '@nestjs/common';
import { WS_AUTH_SCOPES_METADATA } from '../ws-auth.constants.js';

/**
 * Scopes a message handler (or every handler of a gateway) requires; all must
 * be granted. Enforced by `WsAuthGuard`; a handler-level list replaces the class-level one.
 */
export const WsScopes = (...scopes: string[]) => SetMetadata(WS_AUTH_SCOPES_METADATA, scopes);
