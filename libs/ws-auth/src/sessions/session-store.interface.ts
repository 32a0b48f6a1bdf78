import type { RevocationSubject, SessionEvent } from './session-event.js';

/**
 * Where revocations are kept and how session events reach every instance.
 * `MemorySessionStore` serves one instance; `RedisSessionStore` many.
 * Every method throws `WsAuthError('unavailable')` when it cannot answer:
 * a handshake that needs the answer then gets 503, never a socket.
 */
export interface SessionStore {
  /** Stores a revocation (until its `expiresAt`) or not (disconnects), and tells every instance, this one included. */
  publish(event: SessionEvent): Promise<void>;
  /** May answer synchronously (the memory store does): see `WsTokenVerifier`. */
  isRevoked(credential: RevocationSubject): boolean | Promise<boolean>;
  /** Called for every event published by any instance. */
  /** `onResync`: events may have been missed (a reconnection); re-check what you hold. */
  subscribe(listener: (event: SessionEvent) => void, onResync?: () => void): void;
  close?(): Promise<void>;
}
