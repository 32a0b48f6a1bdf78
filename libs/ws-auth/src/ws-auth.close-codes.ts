/** Close codes of the library (4000-4999 is the range RFC 6455 leaves to applications). */
export const WsCloseCode = {
  /** The token behind the socket expired, or a bad/missing token in an `auth` event. */
  Unauthorized: 4401,
  /** The login session was revoked, or an `auth` event for another subject. */
  Forbidden: 4403,
  /** A pending socket sent no `auth` event in time. */
  AuthTimeout: 4408,
  /** A malformed credential request, closed after an accepted upgrade (`acceptThenClose`). */
  BadRequest: 4400,
  /**
   * The subject already holds its `maxSocketsPerSubject` sockets: an `auth`
   * event that would authenticate one more. 4000 + the HTTP status a
   * handshake gets for it (429), as 4401, 4403 and 4408 are.
   */
  TooManyConnections: 4429,
  /** RFC 6455: a frame larger than allowed (pending sockets: 16 KiB). */
  MessageTooBig: 1009,
  /** RFC 6455: try again later; a store or issuer could not judge the credential. */
  TryAgainLater: 1013,
} as const;

// Close reasons stay short (under 123 bytes) and generic: never a credential, never a detail.
export const CloseReason = {
  expired: 'Token expired',
  revoked: 'Session revoked',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  timeout: 'Authentication timeout',
  badRequest: 'Bad request',
  tooBig: 'Frame too large',
  unavailable: 'Try again later',
  tooManyConnections: 'Too many connections',
} as const;
