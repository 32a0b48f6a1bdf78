import { KnownRevocations } from './known-revocations.js';
import type { RevocationSubject, SessionEvent } from './session-event.js';
import type { SessionStore } from './session-store.interface.js';

/**
 * In-process revocations and events: the embedded default, right for one
 * instance. Entries are dropped once the tokens they cover have expired, so
 * memory is bounded by the logins of one token lifetime.
 */
export class MemorySessionStore implements SessionStore {
  private readonly revocations = new KnownRevocations();
  private readonly listeners: Array<(event: SessionEvent) => void> = [];

  async publish(event: SessionEvent): Promise<void> {
    this.revocations.add(event);
    for (const listener of this.listeners) {
      listener(event);
    }
  }

  /** Synchronous: asked on every handshake, it needs nothing outside the process. */
  isRevoked(credential: RevocationSubject): boolean {
    return this.revocations.isRevoked(credential);
  }

  subscribe(listener: (event: SessionEvent) => void): void {
    this.listeners.push(listener);
  }
}
