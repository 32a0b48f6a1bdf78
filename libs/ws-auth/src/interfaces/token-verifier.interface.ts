import type { IncomingMessage } from 'node:http';

/** What a verifier knows once it has accepted a token. */
export interface WsVerifiedToken<TPrincipal = unknown> {
  principal: TPrincipal;
  subject: string;
  sessionId?: string;
  scopes?: readonly string[];
  /** Epoch milliseconds. */
  expiresAt?: number;
  /** Epoch milliseconds of `iat`. */
  issuedAt?: number;
}

/**
 * Turns a token into a principal. Verifiers are tried in order until one
 * recognises the token:
 * - resolve `null` when the token is not yours (another verifier may take it);
 * - throw `WsAuthError('invalid_token')` when it is yours and bad;
 * - throw `WsAuthError('unavailable')` when what you depend on cannot answer.
 * Any other throw is treated as `invalid_token`.
 *
 * A verifier that needs nothing outside the process may answer synchronously
 * (return the result rather than a promise): a handshake whose every step
 * does so is decided without a turn of the event loop.
 *
 * `request` is the upgrade request. For an in-band `auth` (refresh) it is
 * what the socket kept of it: method, url, socket, and the headers without
 * `Authorization`, `Cookie` and `Sec-WebSocket-*`, since that credential is
 * the message's token alone.
 */
export interface WsTokenVerifier<TPrincipal = unknown> {
  /**
   * `false` for a verifier that judges the token alone and never reads
   * `request`: when every verifier says so, a socket keeps nothing of its
   * upgrade request for its in-band refresh (less heap per idle socket, and
   * no copy of the headers per handshake). Unset means it may read it.
   */
  readonly readsRequest?: boolean;
  verify(token: string, request: IncomingMessage): WsVerifiedToken<TPrincipal> | null | Promise<WsVerifiedToken<TPrincipal> | null>;
}
