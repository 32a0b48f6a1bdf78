import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MemoryTicketStore } from './memory-ticket.store.js';
import type { TicketRecord } from './ticket-store.interface.js';

const record = (subject = 'maggie'): TicketRecord => ({
  principal: { sub: subject },
  subject,
  scopes: [],
  notAfter: Date.now() + 60_000,
});

describe('MemoryTicketStore', () => {
  let now: number;

  beforeEach(() => {
    now = 1_700_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('gives a record back once, then null', async () => {
    const store = new MemoryTicketStore();
    const stored = record();
    await store.put('h1', stored, 30_000);
    expect(store.take('h1')).toBe(stored);
    expect(store.take('h1')).toBeNull();
  });

  it('answers null for an unknown hash', async () => {
    expect(new MemoryTicketStore().take('nope')).toBeNull();
  });

  it('lets exactly one of many concurrent takes win', async () => {
    const store = new MemoryTicketStore();
    await store.put('h1', record(), 30_000);
    const results = await Promise.all(Array.from({ length: 50 }, () => store.take('h1')));
    expect(results.filter((result) => result !== null)).toHaveLength(1);
  });

  it('refuses a record once its TTL has passed, even if not swept yet', async () => {
    const store = new MemoryTicketStore();
    await store.put('h1', record(), 1_000);
    now += 999;
    await store.put('h2', record(), 1_000);
    now += 1;
    expect(store.take('h1')).toBeNull();
    expect(store.take('h2')).not.toBeNull();
  });

  it('sweeps expired entries at the front on put and take, without timers', async () => {
    const store = new MemoryTicketStore();
    for (let i = 0; i < 5; i++) {
      await store.put(`old${i}`, record(), 1_000);
    }
    now += 1_000;
    await store.put('fresh', record(), 1_000);
    expect(store.size).toBe(1);
    now += 1_000;
    await store.take('unknown');
    expect(store.size).toBe(0);
  });

  it('sweeps only up to the first live entry (insertion order)', async () => {
    const store = new MemoryTicketStore();
    await store.put('long', record(), 10_000);
    await store.put('short', record(), 1_000);
    now += 2_000;
    await store.take('unknown');
    // 'short' has expired but waits behind 'long'; it is still never honoured.
    expect(store.size).toBe(2);
    expect(store.take('short')).toBeNull();
    expect(store.size).toBe(1);
  });

  it('never holds more than maxSize entries: the oldest is evicted', async () => {
    const store = new MemoryTicketStore({ maxSize: 3 });
    for (const hash of ['a', 'b', 'c', 'd', 'e']) {
      await store.put(hash, record(hash), 30_000);
    }
    expect(store.size).toBe(3);
    expect(store.take('a')).toBeNull();
    expect(store.take('b')).toBeNull();
    expect(store.take('c')).toMatchObject({ subject: 'c' });
    expect(store.take('e')).toMatchObject({ subject: 'e' });
  });

  it('sweeps expired entries before evicting a live one', async () => {
    const store = new MemoryTicketStore({ maxSize: 2 });
    await store.put('expired', record('expired'), 1_000);
    await store.put('live', record('live'), 10_000);
    now += 1_000;
    await store.put('new', record('new'), 10_000);
    expect(store.take('live')).toMatchObject({ subject: 'live' });
    expect(store.take('new')).toMatchObject({ subject: 'new' });
  });

  it('lets one subject minting in a loop evict only its own tickets', async () => {
    const store = new MemoryTicketStore({ maxPerSubject: 3 });
    await store.put('bart', record('bart'), 30_000);
    for (let i = 0; i < 11_000; i++) {
      await store.put(`m${i}`, record('maggie'), 30_000);
    }
    expect(store.size).toBe(4);
    expect(store.take('bart')).toMatchObject({ subject: 'bart' });
    // maggie keeps her three newest; the older ones were hers to lose.
    expect(store.take('m10999')).toMatchObject({ subject: 'maggie' });
    expect(store.take('m10997')).toMatchObject({ subject: 'maggie' });
    expect(store.take('m10996')).toBeNull();
  });

  it('frees a subject\'s slot when one of its tickets is redeemed or expires', async () => {
    const store = new MemoryTicketStore({ maxPerSubject: 2 });
    await store.put('a', record(), 30_000);
    await store.put('b', record(), 60_000);
    expect(store.take('a')).not.toBeNull();
    await store.put('c', record(), 60_000);
    expect(store.take('b')).not.toBeNull(); // not evicted: 'a' was redeemed first
    now += 30_001;
    await store.put('d', record(), 60_000);
    await store.put('e', record(), 60_000);
    expect(store.take('c')).toBeNull(); // evicted by 'e': maggie holds two at most
    expect([store.take('d'), store.take('e')].every((taken) => taken !== null)).toBe(true);
    expect(store.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxPerSubject %p', (maxPerSubject) => {
    expect(() => new MemoryTicketStore({ maxPerSubject })).toThrow(/maxPerSubject/);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxSize %p', (maxSize) => {
    expect(() => new MemoryTicketStore({ maxSize })).toThrow(/maxSize/);
  });
});
