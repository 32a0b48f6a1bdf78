import type { TicketRecord, TicketStore } from './ticket-store.interface.js';

export interface MemoryTicketStoreOptions {
  /**
   * Most tickets held at once. Past it, minting evicts the oldest ticket.
   * Default 10 000.
   */
  maxSize?: number;
  /**
   * Most tickets one subject (`sub`) holds at once. Past it, that subject's
   * own oldest ticket is evicted, so one user minting in a loop can only
   * evict their own tickets. Default 100.
   */
  maxPerSubject?: number;
}

const DEFAULT_MAX_SIZE = 10_000;
const DEFAULT_MAX_PER_SUBJECT = 100;

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
 * Over `maxPerSubject` or `maxSize`, the oldest ticket (of that subject,
 * or of all) is evicted rather than minting refused: a client redeems its
 * ticket within moments of minting it, so the oldest is the one least likely
 * to still be wanted. A holder of a valid token who mints in a loop then
 * costs their own stale tickets, and only a flood from many subjects at once
 * can reach `maxSize`, instead of one user stopping every user from connecting.
 */
export class MemoryTicketStore implements TicketStore {
  private readonly entries = new Map<string, Entry>();
  /** The hashes each subject holds, oldest first (a `Set` keeps insertion order). */
  private readonly bySubject = new Map<string, Set<string>>();
  private readonly maxSize: number;
  private readonly maxPerSubject: number;

  constructor(options: MemoryTicketStoreOptions = {}) {
    this.maxSize = positiveInteger(options.maxSize ?? DEFAULT_MAX_SIZE, 'maxSize');
    this.maxPerSubject = positiveInteger(options.maxPerSubject ?? DEFAULT_MAX_PER_SUBJECT, 'maxPerSubject');
  }

  /** Tickets held right now, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  async put(hash: string, record: TicketRecord, ttlMs: number): Promise<void> {
    const now = Date.now();
    this.sweep(now);
    this.delete(hash); // a re-put goes to the back, where its new expiry belongs
    const held = this.bySubject.get(record.subject);
    while (held && held.size >= this.maxPerSubject) {
      this.delete(held.values().next().value as string);
    }
    while (this.entries.size >= this.maxSize) {
      this.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(hash, { record, expiresAt: now + ttlMs });
    // Looked up again: the evictions above may have emptied and dropped the set.
    this.heldBy(record.subject).add(hash);
  }

  /** Synchronous: read and delete in one step, so of concurrent redemptions exactly one finds the entry. */
  take(hash: string): TicketRecord | null {
    const now = Date.now();
    const entry = this.entries.get(hash);
    this.delete(hash);
    this.sweep(now);
    return entry && entry.expiresAt > now ? entry.record : null;
  }

  private sweep(now: number): void {
    for (const [hash, entry] of this.entries) {
      if (entry.expiresAt > now) {
        return;
      }
      this.delete(hash);
    }
  }

  private heldBy(subject: string): Set<string> {
    let held = this.bySubject.get(subject);
    if (!held) {
      held = new Set();
      this.bySubject.set(subject, held);
    }
    return held;
  }

  private delete(hash: string): void {
    const entry = this.entries.get(hash);
    if (!entry) {
      return;
    }
    this.entries.delete(hash);
    const held = this.bySubject.get(entry.record.subject);
    held?.delete(hash);
    if (held?.size === 0) {
      this.bySubject.delete(entry.record.subject);
    }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`ws-auth: MemoryTicketStore ${name} must be a positive integer`);
  }
  return value;
}
