import type { WsAuthErrorCode } from '../ws-auth.errors.js';

/** Why the library closed a socket. */
export type WsAuthCloseReason =
  | 'expired'
  | 'revoked'
  | 'disconnected'
  | 'refused'
  | 'subject_changed'
  | 'auth_timeout'
  | 'frame_too_large'
  | 'unavailable'
  /** A pending socket's `auth` would have opened one socket too many for its subject. */
  | 'too_many_connections';

/**
 * One thing the library decided about a connection, for an app's audit log.
 * It never carries a credential: only codes, the subject once known, and
 * where the request came from.
 */
export interface WsAuthAuditEvent {
  readonly type:
    /** An upgrade was authenticated: the 101 follows. */
    | 'handshake_accepted'
    /** An upgrade without a credential became a pending socket (first-message auth). */
    | 'handshake_pending'
    /** An upgrade was refused (`status`), or accepted and closed at once (`acceptThenClose`, `closeCode`). */
    | 'handshake_refused'
    /** A pending socket authenticated with its `auth` frame. */
    | 'socket_authenticated'
    /** An `auth` frame moved a socket to a fresh token. */
    | 'socket_refreshed'
    /** The library closed a socket (`reason`, `closeCode`). */
    | 'socket_closed';
  /** Why a handshake was refused. */
  readonly code?: WsAuthErrorCode;
  /** Why a socket was closed. */
  readonly reason?: WsAuthCloseReason;
  /** The HTTP status of a refused handshake. */
  readonly status?: number;
  readonly closeCode?: number;
  readonly subject?: string;
  readonly sessionId?: string;
  /** The credential source (`ticket`, `header`, `protocol`, `message`, ...). */
  readonly source?: string;
  /** The request's `Origin` header, as sent. */
  readonly origin?: string;
  /** The gateway's path (never the request URL, whose query may hold a ticket). */
  readonly path: string;
  /** Epoch milliseconds. */
  readonly at: number;
}
