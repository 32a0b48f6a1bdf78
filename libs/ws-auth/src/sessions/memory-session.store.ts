import { revokes, type RevocationSubject, type SessionEvent } from './session-event.js';
import type { SessionStore } from './session-store.interface.js';

type Revocation = Extract<SessionEvent, { type: 'revoke-session' | 'revoke-subject' }>;

/**
 * In-process revocations and events: the embedded default, right for one
 * instance. Entries are dropped once the tokens they cover have expired, so
 * memory is bounded by the logins of one token lifetime.
 */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Revocation>();
  private readonly subjects = new Map<string, Revocation>();
  private readonly listeners: Array<(event: SessionEvent) => void> = [];
  private lastSweep = 0;

  async publish(event: SessionEvent): Promise<void> {
    this.sweep();
    if (event.type === 'revoke-session') {
      this.sessions.set(event.sessionId, event);
    } else if (event.type === 'revoke-subject') {
      this.subjects.set(event.subject, event);
    }
    for (const listener of this.listeners) {
      listener(event);
    }
  }

  /** Synchronous: asked on every handshake, it needs nothing outside the process. */
  isRevoked(credential: RevocationSubject): boolean {
    const now = Date.now();
    const bySession = credential.sessionId === undefined ? undefined : this.sessions.get(credential.sessionId);
    return revokedAt(bySession, credential, now) || revokedAt(this.subjects.get(credential.subject), credential, now);
  }

  subscribe(listener: (event: SessionEvent) => void): void {
    this.listeners.push(listener);
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

function revokedAt(entry: Revocation | undefined, credential: RevocationSubject, now: number): boolean {
  return entry !== undefined && entry.expiresAt > now && revokes(entry, credential);
}
