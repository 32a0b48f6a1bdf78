/**
 * What one instance tells every other about sessions. Revocations are also
 * stored (so a handshake anywhere refuses the revoked token); disconnects are not.
 */
export type SessionEvent =
  /** A login session is over: its tokens, tickets and sockets stop working until `expiresAt`. */
  | { readonly type: 'revoke-session'; readonly sessionId: string; readonly expiresAt: number }
  /** Every session of a subject issued up to `revokedAt` is over, until `expiresAt`. */
  | { readonly type: 'revoke-subject'; readonly subject: string; readonly revokedAt: number; readonly expiresAt: number }
  /** Close the session's sockets without revoking its tokens. */
  | { readonly type: 'disconnect-session'; readonly sessionId: string }
  | { readonly type: 'disconnect-subject'; readonly subject: string };

/** What a revocation check needs to know of a credential. */
export interface RevocationSubject {
  readonly subject: string;
  readonly sessionId?: string;
  /** Epoch ms of the credential's `iat`, when it has one. */
  readonly issuedAt?: number;
}

/** Whether an event revokes that credential. */
export function revokes(event: SessionEvent, credential: RevocationSubject): boolean {
  switch (event.type) {
    case 'revoke-session':
      return credential.sessionId === event.sessionId;
    case 'revoke-subject':
      // A credential with no iat cannot prove it was issued after the revocation.
      return credential.subject === event.subject && (credential.issuedAt ?? 0) <= event.revokedAt;
    default:
      return false;
  }
}
