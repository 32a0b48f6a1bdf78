import type { TicketRecord, TicketStore } from './ticket-store.interface.js';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';

export interface MemoryTicketStoreOptions {
  /**
   * Most tickets held at once. Past it, minting evicts the oldest ticket.
   * Default 10 000.
   */
  maxSize?: number;
}

const DEFAULT_MAX_SIZE = 10_000;

interface Entry {
  readonly record: TicketRecord;
  readonly expiresAt: number;
}

/**
 * The embedded default store: one process, no dependency. Several instances
 * of an app need a shared store (`RedisTicketStore`).
 *
 * Memory stays bounded without a timer per ticket: entries sit in a `Map` in
 * insertion order, and every `put` and `take` drops the expired ones at its
 * front. An expired ticket behind a longer-lived one waits for the front to
 * move, for its own redemption or for eviction, and is never honoured
 * meanwhile.
 *
 * Over `maxSize`, the oldest ticket is evicted rather than minting refused:
 * a client redeems its ticket within moments of minting it, so the oldest is
 * the one least likely to still be wanted, and a flood of minting (from
 * holders of valid tokens) then costs stale tickets instead of stopping
 * every user from connecting.
 */
export class MemoryTicketStore implements TicketStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxSize: number;

  constructor(options: MemoryTicketStoreOptions = {}) {
    this.maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
    if (!Number.isInteger(this.maxSize) || this.maxSize < 1) {
      throw new WsAuthConfigurationError('MemoryTicketStore maxSize must be a positive integer');
    }
  }

  /** Tickets held right now, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  async put(hash: string, record: TicketRecord, ttlMs: number): Promise<void> {
    const now = Date.now();
    this.sweep(now);
    this.entries.delete(hash); // a re-put goes to the back, where its new expiry belongs
    while (this.entries.size >= this.maxSize) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(hash, { record, expiresAt: now + ttlMs });
  }

  /** Synchronous: read and delete in one step, so of concurrent redemptions exactly one finds the entry. */
  take(hash: string): TicketRecord | null {
    const now = Date.now();
    const entry = this.entries.get(hash);
    this.entries.delete(hash);
    this.sweep(now);
    return entry && entry.expiresAt > now ? entry.record : null;
  }

  private sweep(now: number): void {
    for (const [hash, entry] of this.entries) {
      if (entry.expiresAt > now) {
        return;
      }
      this.entries.delete(hash);
    }
  }
}
