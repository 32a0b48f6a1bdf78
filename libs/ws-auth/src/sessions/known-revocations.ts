import { revokes, type RevocationSubject, type SessionEvent } from './session-event.js';

export type Revocation = Extract<SessionEvent, { type: 'revoke-session' | 'revoke-subject' }>;

/**
 * The revocations one process has heard of, each kept until the tokens it
 * covers have expired, so memory is bounded by the logouts of one token
 * lifetime. The memory store is made of it; the Redis store keeps one too,
 * so that a logout outlives a Redis that lost its data while this process runs.
 */
export class KnownRevocations {
  private readonly sessions = new Map<string, Revocation>();
  private readonly subjects = new Map<string, Revocation & { type: 'revoke-subject' }>();
  private lastSweep = 0;

  add(event: SessionEvent): void {
    this.sweep();
    if (event.type === 'revoke-session') {
      this.sessions.set(event.sessionId, event);
    } else if (event.type === 'revoke-subject') {
      const known = this.subjects.get(event.subject);
      // The later revocation covers every token the earlier one did.
      if (!known || known.revokedAt < event.revokedAt) {
        this.subjects.set(event.subject, event);
      }
    }
  }

  /** Synchronous: nothing outside the process is asked. */
  isRevoked(credential: RevocationSubject): boolean {
    const now = Date.now();
    const bySession = credential.sessionId === undefined ? undefined : this.sessions.get(credential.sessionId);
    return covers(bySession, credential, now) || covers(this.subjects.get(credential.subject), credential, now);
  }

  /** Every revocation still in force. */
  list(): Revocation[] {
    const now = Date.now();
    return [...this.sessions.values(), ...this.subjects.values()].filter((entry) => entry.expiresAt > now);
  }

  /** Drops revocations whose tokens can no longer be presented; at most once a second. */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < 1000) {
      return;
    }
    this.lastSweep = now;
    for (const map of [this.sessions, this.subjects]) {
      for (const [key, entry] of map) {
        if (entry.expiresAt <= now) {
          map.delete(key);
        }
      }
    }
  }
}

function covers(entry: Revocation | undefined, credential: RevocationSubject, now: number): boolean {
  return entry !== undefined && entry.expiresAt > now && revokes(entry, credential);
}
