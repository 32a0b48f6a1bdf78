/**
 * What the library knows about an authenticated socket. Read it with
 * `getWsAuth(client)`, `@WsAuthInfo()` or `@WsUser()` (the principal alone).
 */
export interface WsAuthInfo<TPrincipal = unknown> {
  /** What the verifier made of the credential (claims, a user record, ...). */
  readonly principal: TPrincipal;
  /** The `sub` of the credential. */
  readonly subject: string;
  /** The login session (`sid`) the credential belongs to, when it has one. */
  readonly sessionId?: string;
  /** Scopes granted by the credential, enforced by `@WsScopes()`. */
  readonly scopes: readonly string[];
  /** Epoch milliseconds after which the socket must not be trusted. */
  readonly expiresAt?: number;
  /** Epoch milliseconds of the credential's `iat`, for revocations of every session of a subject. */
  readonly issuedAt?: number;
  /** Name of the credential source that authenticated the socket (`header`, `protocol`, `message`, ...). */
  readonly source: string;
}
