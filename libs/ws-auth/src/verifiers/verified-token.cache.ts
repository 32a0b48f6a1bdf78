/**
 * Tokens a verifier has accepted, keyed by the whole token string, so that a
 * client reconnecting with the same token skips the signature check.
 *
 * Why ours and not fast-jwt's `cache` option: fast-jwt keys its cache by a
 * SHA-2 digest of the token (a hash on every call, hit or miss), hands every
 * hit the same mutable payload object, and also caches refusals, so a stream
 * of forged tokens evicts the good entries. Here:
 *
 * - the key is the token itself: only the exact string that was verified can
 *   hit, so a forgery differing in one character is verified afresh;
 * - only accepted tokens are stored, and only with an `exp`: an entry is used
 *   from the token's `nbf` (less the leeway it was accepted with) until its
 *   `exp`, never after, and then verification applies its own leeway again;
 * - the value is stored frozen by the caller, so no handler can change what
 *   the next hit sees;
 * - at most `maxEntries` tokens are held (one more when it is odd), in two
 *   generations of half as many: a new token goes into the current one, a
 *   hit in the previous one moves it back, and when the current one is full
 *   it becomes the previous one and the oldest generation is dropped whole.
 *   Tokens not presented for a generation leave first, as in an LRU, but no
 *   insert or hit has to delete and re-insert to keep an order, and nothing
 *   iterates to evict (the quick-lru scheme).
 *
 * Revocation is not this cache's business: the handshake checks the session
 * on every connection, cached token or not.
 */
export class VerifiedTokenCache<TValue> {
  private current = new Map<string, VerifiedTokenCacheEntry<TValue>>();
  private previous = new Map<string, VerifiedTokenCacheEntry<TValue>>();
  private readonly generationSize: number;

  constructor(readonly maxEntries: number) {
    this.generationSize = Math.ceil(maxEntries / 2);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** The value stored for exactly this token, while `now` (epoch ms) is within its validity. */
  get(token: string, now: number): TValue | undefined {
    let entry = this.current.get(token);
    if (entry === undefined) {
      entry = this.previous.get(token);
      if (entry === undefined) {
        return undefined;
      }
      this.previous.delete(token);
      if (now < entry.notBefore || now >= entry.expiresAt) {
        return undefined;
      }
      this.insert(token, entry);
      return entry.value;
    }
    if (now < entry.notBefore || now >= entry.expiresAt) {
      this.current.delete(token);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Remembers a token that `get` just missed, usable from `notBefore` until
   * (not including) `expiresAt`, epoch ms.
   */
  set(token: string, value: TValue, notBefore: number, expiresAt: number): void {
    if (this.generationSize > 0) {
      this.insert(token, { value, notBefore, expiresAt });
    }
  }

  private insert(token: string, entry: VerifiedTokenCacheEntry<TValue>): void {
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(token, entry);
  }
}

interface VerifiedTokenCacheEntry<TValue> {
  readonly value: TValue;
  readonly notBefore: number;
  readonly expiresAt: number;
}
