import type { KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { JWTVerifyGetKey, RemoteJWKSet } from 'jose';
import { WsAuthError } from '../ws-auth.errors.js';
import { then, type MaybePromise } from '../maybe-promise.js';
import { discoverJwksUri } from './issuer-discovery.js';
import { IssuerSigningKeys } from './issuer-signing-keys.js';
import { loadJose } from './jose.loader.js';

type KeyResolver = JWTVerifyGetKey;
type ResolvedKey = Awaited<ReturnType<KeyResolver>>;

export interface IssuerKeySetOptions {
  issuer: string;
  /** Skips discovery. */
  jwksUri?: URL;
  /** After a fetch, how long an unknown `kid` is refused before it may cause another one. */
  cooldownMs: number;
  /** How long fetched keys are used before they are refetched. */
  cacheMaxAgeMs: number;
  /** Bound on each request to the issuer. */
  timeoutMs: number;
}

/** What jose writes into its `jwksCache` option on every fetch: when, and the key set as fetched. */
interface FetchedKeySet {
  uat?: number;
  jwks?: unknown;
}

/**
 * An issuer's signing keys. jose's remote JWKS does the
 * caching: one fetch shared by concurrent callers, a timeout, a refetch on an
 * unknown `kid` at most once per cooldown (so a key the issuer rotates in is
 * picked up), keys refetched once `cacheMaxAge` old. Around it this adds:
 *
 * - discovery of `jwks_uri` on first use rather than at construction, so the
 *   app starts while the issuer is down;
 * - the last fetched keys keep serving while the issuer cannot answer (jose
 *   fails every verification once its keys are stale and the refetch fails),
 *   with one retry per cooldown rather than one per handshake;
 * - errors the handshake can act on: `WsAuthError('invalid_token')` when the
 *   keys were fetched and none fits the token, `WsAuthError('unavailable')`
 *   when they could not be fetched, so the client gets 503, not a false 401;
 * - the fetched keys as KeyObjects per `kid` (`keysFor`), handed out at
 *   once while jose would not fetch anything, so a handshake verifies with
 *   `crypto.verify` synchronously; everything else goes through jose as above.
 */
export class IssuerKeySet {
  private readonly logger = new Logger('WsAuth');
  private remote?: RemoteJWKSet;
  private discovering?: Promise<RemoteJWKSet>;
  /** The last fetched keys, used instead of the issuer until `until` after a failed fetch. */
  private fallback?: { keys: KeyResolver; until: number };
  private failing = false;
  /** jose's record of its last fetch (its `jwksCache` option), read to know when the keys changed. */
  private readonly fetched: FetchedKeySet = {};
  /** KeyObjects of the key set fetched at `uat`. */
  private signing?: { uat: number | undefined; keys: IssuerSigningKeys };

  constructor(private readonly options: IssuerKeySetOptions) {}

  /**
   * The keys that may have signed a token with this header: at once when
   * the last fetched keys are still to be used (fresh, or serving while the
   * issuer is down) and one fits; otherwise after asking jose, which fetches
   * when it would for jwtVerify (first use, stale keys, an unknown `kid` past
   * the cooldown). Fails with the same WsAuthErrors as `getKey`.
   */
  keysFor(header: Record<string, unknown>, token: string): MaybePromise<readonly KeyObject[]> {
    const inHand = this.usable()?.candidates(header);
    if (inHand !== undefined && inHand.length > 0) {
      return inHand;
    }
    // jose's resolver wants the header as JOSE parameters; ours are the same JSON.
    return then(this.resolve(header as never, { payload: '', signature: '', protected: token.slice(0, token.indexOf('.')) } as never), () => {
      const keys = this.signingKeys()?.candidates(header) ?? [];
      if (keys.length === 0) {
        throw new WsAuthError('invalid_token', 'No key of the issuer fits the token');
      }
      return keys;
    });
  }

  /** The last fetched keys, when jose would use them as they are (no fetch due). */
  private usable(): IssuerSigningKeys | undefined {
    if (this.fallback && Date.now() < this.fallback.until) {
      return this.signingKeys();
    }
    return this.remote?.fresh && !this.remote.reloading ? this.signingKeys() : undefined;
  }

  private signingKeys(): IssuerSigningKeys | undefined {
    if (this.fetched.jwks === undefined) {
      return undefined;
    }
    if (this.signing === undefined || this.signing.uat !== this.fetched.uat) {
      this.signing = { uat: this.fetched.uat, keys: new IssuerSigningKeys(this.fetched.jwks) };
    }
    return this.signing.keys;
  }

  /** The resolver to hand to `jwtVerify`. */
  readonly getKey: KeyResolver = (header, token) => this.resolve(header, token);

  private async resolve(...args: Parameters<KeyResolver>): Promise<ResolvedKey> {
    if (this.fallback && Date.now() < this.fallback.until) {
      return this.fromFallback(this.fallback.keys, args);
    }
    const remote = await this.remoteKeys();
    let key: ResolvedKey;
    try {
      key = await remote(...args);
    } catch (error) {
      if (isKeyMismatch(error)) {
        this.recovered();
        throw new WsAuthError('invalid_token', 'No key of the issuer fits the token', { cause: error });
      }
      // Anything else comes from fetching the JWKS: refused, timed out, not 200, not a key set.
      this.failed(error);
      const last = remote.jwks();
      if (!last) {
        throw new WsAuthError('unavailable', "The issuer's keys cannot be fetched", { cause: error });
      }
      const keys = (await loadJose()).createLocalJWKSet(last);
      this.fallback = { keys, until: Date.now() + this.options.cooldownMs };
      return this.fromFallback(keys, args);
    }
    this.recovered();
    return key;
  }

  /** From the last fetched keys: a `kid` they lack may be a new key the issuer cannot show us now. */
  private async fromFallback(keys: KeyResolver, args: Parameters<KeyResolver>): Promise<ResolvedKey> {
    try {
      return await keys(...args);
    } catch (error) {
      if (hasJoseCode(error, 'ERR_JWKS_NO_MATCHING_KEY')) {
        throw new WsAuthError('unavailable', 'The token names a key the issuer cannot be asked about', { cause: error });
      }
      throw new WsAuthError('invalid_token', 'No key of the issuer fits the token', { cause: error });
    }
  }

  private async remoteKeys(): Promise<RemoteJWKSet> {
    if (this.remote) {
      return this.remote;
    }
    // One discovery for every caller waiting on it; a failed one is retried by the next caller.
    this.discovering ??= this.discover().finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  private async discover(): Promise<RemoteJWKSet> {
    const { issuer, jwksUri, timeoutMs, cooldownMs, cacheMaxAgeMs } = this.options;
    let url: URL;
    try {
      url = jwksUri ?? (await discoverJwksUri(issuer, timeoutMs));
    } catch (error) {
      this.failed(error);
      throw new WsAuthError('unavailable', "The issuer's discovery document cannot be read", { cause: error });
    }
    const { createRemoteJWKSet, jwksCache } = await loadJose();
    this.remote = createRemoteJWKSet(url, {
      timeoutDuration: timeoutMs,
      cooldownDuration: cooldownMs,
      cacheMaxAge: cacheMaxAgeMs,
      // jose records each fetch here (its documented cache hook), which is how keysFor sees new keys.
      [jwksCache]: this.fetched,
    });
    return this.remote;
  }

  /** Logs once per outage, naming the issuer and the kind of failure: never a token. */
  private failed(error: unknown): void {
    if (!this.failing) {
      this.failing = true;
      this.logger.warn(`Keys of issuer ${this.options.issuer} cannot be fetched: ${describe(error)}`);
    }
  }

  private recovered(): void {
    this.fallback = undefined;
    if (this.failing) {
      this.failing = false;
      this.logger.log(`Keys of issuer ${this.options.issuer} are available again`);
    }
  }
}

/**
 * The JWKS was read (now or earlier) and no usable key fits the token: an
 * unknown `kid` within the cooldown, several candidates and no `kid`, or a key
 * whose type does not go with the token's `alg`.
 */
function isKeyMismatch(error: unknown): boolean {
  return (
    hasJoseCode(error, 'ERR_JWKS_NO_MATCHING_KEY') ||
    hasJoseCode(error, 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') ||
    hasJoseCode(error, 'ERR_JOSE_NOT_SUPPORTED')
  );
}

/** jose's errors carry stable codes, which do not need the module loaded to compare. */
function hasJoseCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code;
}

/**
 * `IssuerDiscoveryError: ... cannot be fetched (ECONNREFUSED)`: the error and
 * the innermost cause's code, which says what went wrong on the network.
 * Duck-typed: fetch's errors may come from another realm than ours.
 */
function describe(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  let reason: string | undefined;
  for (let cause = (error as { cause?: unknown })?.cause, depth = 0; cause && depth < 5; depth++) {
    const { code, name: causeName, cause: next } = cause as { code?: unknown; name?: unknown; cause?: unknown };
    reason = typeof code === 'string' ? code : typeof causeName === 'string' ? causeName : reason;
    cause = next;
  }
  return `${name ?? 'Error'}: ${message ?? ''}${reason ? ` (${reason})` : ''}`;
}
