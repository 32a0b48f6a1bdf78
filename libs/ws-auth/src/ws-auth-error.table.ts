import { CloseReason, WsCloseCode } from './ws-auth.close-codes.js';
import type { WsAuthErrorCode } from './ws-auth.errors.js';

/** How one kind of refusal is answered, before the `101` and after it. */
export interface WsAuthErrorAnswer {
  /** The HTTP status of a refused handshake (and of `HttpBearerGuard`). */
  readonly status: number;
  /**
   * RFC 6750 §3 `WWW-Authenticate`: `bare` without an `error` attribute (no
   * credential was sent), `error` with the code, `none` when no credential
   * would help (a foreign Origin, a store that cannot answer).
   */
  readonly challenge: 'bare' | 'error' | 'none';
  /** `Retry-After`, seconds: the refusal is about the server, not the credential. */
  readonly retryAfterSec?: number;
  /** The close code of a socket refused after an accepted upgrade (`acceptThenClose`, in-band `auth`). */
  readonly closeCode: number;
  /** Its close reason: short and generic, never a detail of the credential. */
  readonly closeReason: string;
}

/** Every `WsAuthError` code and how it is answered: the one place that decides it. */
export const WS_AUTH_ERROR_TABLE: Readonly<Record<WsAuthErrorCode, WsAuthErrorAnswer>> = Object.freeze({
  missing_credential: { status: 401, challenge: 'bare', closeCode: WsCloseCode.Unauthorized, closeReason: CloseReason.unauthorized },
  invalid_token: { status: 401, challenge: 'error', closeCode: WsCloseCode.Unauthorized, closeReason: CloseReason.unauthorized },
  invalid_request: { status: 400, challenge: 'error', closeCode: WsCloseCode.BadRequest, closeReason: CloseReason.badRequest },
  insufficient_scope: { status: 403, challenge: 'error', closeCode: WsCloseCode.Forbidden, closeReason: CloseReason.forbidden },
  origin_not_allowed: { status: 403, challenge: 'none', closeCode: WsCloseCode.Forbidden, closeReason: CloseReason.forbidden },
  unavailable: {
    status: 503,
    challenge: 'none',
    retryAfterSec: 1,
    closeCode: WsCloseCode.TryAgainLater,
    closeReason: CloseReason.unavailable,
  },
  too_many_connections: {
    status: 429,
    challenge: 'none',
    // A slot frees only when one of the subject's sockets closes; a client
    // that comes back at once would mostly be refused again.
    retryAfterSec: 5,
    closeCode: WsCloseCode.TooManyConnections,
    closeReason: CloseReason.tooManyConnections,
  },
});
