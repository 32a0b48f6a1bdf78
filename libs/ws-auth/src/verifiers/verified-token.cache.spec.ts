import { VerifiedTokenCache } from './verified-token.cache.js';

describe('VerifiedTokenCache', () => {
  const FOREVER = Number.MAX_SAFE_INTEGER;

  it('answers only the exact token it stored, within its validity', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('token-a', 'a', 1000, 2000);
    expect(cache.get('token-a', 1500)).toBe('a');
    expect(cache.get('token-A', 1500)).toBeUndefined();
    expect(cache.get('token-a ', 1500)).toBeUndefined();
    expect(cache.get('token-a', 999)).toBeUndefined();
  });

  it('drops an entry once it has expired, and never answers it again', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('t', 'v', 0, 2000);
    expect(cache.get('t', 2000)).toBeUndefined();
    expect(cache.get('t', 1000)).toBeUndefined(); // gone, not merely out of its window
    expect(cache.size).toBe(0);
  });

  it.each([1, 2, 3, 10, 1000])('holds at most maxEntries (one more when odd) with maxEntries %i, however many are stored', (maxEntries) => {
    const cache = new VerifiedTokenCache<number>(maxEntries);
    for (let i = 0; i < maxEntries * 5; i++) {
      cache.set(`t${i}`, i, 0, FOREVER);
      expect(cache.size).toBeLessThanOrEqual(maxEntries + (maxEntries % 2));
    }
    expect(cache.get(`t${maxEntries * 5 - 1}`, 1)).toBe(maxEntries * 5 - 1); // the newest stays
    expect(cache.get('t0', 1)).toBeUndefined(); // the oldest went
  });

  it('keeps a token that keeps being presented while newer ones push the others out', () => {
    const cache = new VerifiedTokenCache<number>(4);
    cache.set('kept', -1, 0, FOREVER);
    for (let i = 0; i < 40; i++) {
      cache.set(`t${i}`, i, 0, FOREVER);
      expect(cache.get('kept', 1)).toBe(-1);
    }
  });

  it('stores nothing with maxEntries 0', () => {
    const cache = new VerifiedTokenCache<number>(0);
    cache.set('t', 1, 0, FOREVER);
    expect(cache.get('t', 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
