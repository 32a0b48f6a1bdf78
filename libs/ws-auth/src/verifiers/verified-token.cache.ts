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
 * - at most `maxEntries` tokens are held; the least recently used goes first.
 *
 * Revocation is not this cache's business: the handshake checks the session
 * on every connection, cached token or not.
 */
export class VerifiedTokenCache<TValue> {
  /** A Map iterates in insertion order: re-inserting on a hit keeps the least recently used first. */
  private readonly entries = new Map<string, VerifiedTokenCacheEntry<TValue>>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value stored for exactly this token, while `now` (epoch ms) is within its validity. */
  get(token: string, now: number): TValue | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) {
      return undefined;
    }
    if (now < entry.notBefore || now >= entry.expiresAt) {
      this.entries.delete(token);
      return undefined;
    }
    this.entries.delete(token);
    this.entries.set(token, entry);
    return entry.value;
  }

  /** Remembers a token accepted at `now`, usable from `notBefore` until (not including) `expiresAt`, epoch ms. */
  set(token: string, value: TValue, notBefore: number, expiresAt: number): void {
    if (this.maxEntries === 0) {
      return;
    }
    this.entries.delete(token);
    while (this.entries.size >= this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(token, { value, notBefore, expiresAt });
  }
}

interface VerifiedTokenCacheEntry<TValue> {
  readonly value: TValue;
  readonly notBefore: number;
  readonly expiresAt: number;
}
