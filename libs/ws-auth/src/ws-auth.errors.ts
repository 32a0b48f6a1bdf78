/**
 * Why a handshake (or an in-band credential) was refused. The codes follow
 * RFC 6750 §3.1 where one exists; the rest are ours.
 */
export type WsAuthErrorCode =
  /** No credential was sent (RFC 6750: no error attribute). */
  | 'missing_credential'
  /** Two credentials, a malformed source, too many subprotocols. */
  | 'invalid_request'
  /** Expired, forged, revoked, unknown or already-used credential. */
  | 'invalid_token'
  /** The principal lacks a scope the gateway or handler requires. */
  | 'insufficient_scope'
  /** The `Origin` header is not on the allowlist. */
  | 'origin_not_allowed'
  /** A store or issuer the decision needs could not answer in time. */
  | 'unavailable'
  /** The subject already holds `maxSocketsPerSubject` sockets on this instance. */
  | 'too_many_connections';

/**
 * The one error type of the library. Its message is always generic and never
 * carries the credential: it may end up in a log line or a response body.
 */
export class WsAuthError extends Error {
  override readonly name = 'WsAuthError';

  constructor(
    readonly code: WsAuthErrorCode,
    message: string = defaultMessages[code],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static isWsAuthError(value: unknown): value is WsAuthError {
    return value instanceof WsAuthError;
  }

  /**
   * `error` itself when it is a `WsAuthError`; anything else thrown where a
   * credential was being judged becomes `fallback`, with the original as its
   * `cause` (and its message never shown).
   */
  static from(error: unknown, fallback: WsAuthErrorCode, message?: string): WsAuthError {
    return error instanceof WsAuthError ? error : new WsAuthError(fallback, message, { cause: error });
  }
}

const defaultMessages: Record<WsAuthErrorCode, string> = {
  missing_credential: 'No credential was sent',
  invalid_request: 'The credential request is malformed',
  invalid_token: 'The credential is invalid',
  insufficient_scope: 'The credential lacks a required scope',
  origin_not_allowed: 'The origin is not allowed',
  unavailable: 'The credential cannot be judged right now',
  too_many_connections: 'Too many connections for this subject',
};
