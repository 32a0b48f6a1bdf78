import type { IncomingMessage } from 'node:http';
import type { WsVerifiedToken } from './token-verifier.interface.js';

/**
 * passport-jwt's `JwtFromRequestFunction` shape, so `ExtractJwt.*` functions
 * can be used as they are. An extractor of ours throws
 * `WsAuthError('invalid_request')` when its source carries more than one credential.
 */
export type WsTokenExtractor = (request: IncomingMessage) => string | null;

/** A place a credential can come from, named for `WsAuthInfo.source`. */
export interface WsCredentialSource {
  readonly name: string;
  readonly extract: WsTokenExtractor;
  /**
   * Ambient credentials (cookies) are sent by the browser to any page's
   * socket, so they are honoured only with an allowed `Origin`.
   */
  readonly ambient?: boolean;
  /**
   * Sources whose credential is not a token for the verifiers (a ticket)
   * resolve it themselves.
   */
  readonly authenticate?: (credential: string, request: IncomingMessage) => WsVerifiedToken | Promise<WsVerifiedToken>;
}

/**
 * Names of the built-in sources, usable wherever a source is expected.
 * `ticket` is `?ticket=`, redeemed by the module's `TicketService`.
 */
export type WsBuiltInSourceName = 'ticket' | 'header' | 'protocol' | 'cookie' | 'query';
