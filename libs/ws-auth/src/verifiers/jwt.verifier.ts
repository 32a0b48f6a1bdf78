import { createPublicKey, KeyObject } from 'node:crypto';
import { createVerifier, TokenError } from 'fast-jwt';
import { DEFAULT_CLOCK_TOLERANCE_SEC } from '../ws-auth.constants.js';
import { WsAuthError } from '../ws-auth.errors.js';
import type { WsTokenVerifier, WsVerifiedToken } from '../interfaces/token-verifier.interface.js';
import { assertClaimsPresent, assertIssuedInPast, freezeClaims, verifiedFromClaims, type JwtClaims } from './claims.js';
import { decodeCompactJws, decodeCompactJwsHeader } from './compact-jws.js';
import { then, type MaybePromise } from '../maybe-promise.js';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import { VerifiedTokenCache } from './verified-token.cache.js';
import type { JwtModuleOptions } from '@nestjs/jwt';
import { jwtVerifierOptionsFromModule, type JwtModuleVerifierOptions } from './jwt-module-options.js';

export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';
export type AsymmetricAlgorithm =
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512';

interface JwtVerifierCommonOptions<TPrincipal> {
  /** When set, tokens with another `iss` are left to the next verifier. */
  issuer?: string;
  audience?: string | string[];
  /** Seconds of leeway on `exp`, `nbf` and `iat`. Default 5. */
  clockToleranceSec?: number;
  /** Claims a token must carry. Default `['sub', 'exp']`: a token without `exp` would never expire. */
  requiredClaims?: string[];
  /**
   * How many accepted tokens are remembered, keyed by the token itself, so a
   * reconnect with a token already verified skips the signature check (an
   * entry lives until the token's `exp`, no longer). `0` turns it off.
   * Default 1000.
   */
  cacheMaxEntries?: number;
  /**
   * Builds the principal handed to handlers, on every handshake (also for a
   * remembered token). Default: the claims, frozen.
   */
  toPrincipal?: (claims: JwtClaims) => TPrincipal | Promise<TPrincipal>;
}

/** Our own HMAC-signed tokens. The secret is never a public key. */
export interface HmacJwtVerifierOptions<TPrincipal> extends JwtVerifierCommonOptions<TPrincipal> {
  secret: string | Buffer;
  /** Default `['HS256']`. */
  algorithms?: HmacAlgorithm[];
}

/** Tokens signed with a private key we hold the public half of. */
export interface PublicKeyJwtVerifierOptions<TPrincipal> extends JwtVerifierCommonOptions<TPrincipal> {
  publicKey: string | Buffer | KeyObject;
  /** Required: the algorithms this key is used with. */
  algorithms: AsymmetricAlgorithm[];
}

export type JwtVerifierOptions<TPrincipal = JwtClaims> =
  | HmacJwtVerifierOptions<TPrincipal>
  | PublicKeyJwtVerifierOptions<TPrincipal>;

const HMAC_ALGORITHMS: readonly string[] = ['HS256', 'HS384', 'HS512'];
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output. */
const MIN_HMAC_SECRET_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };
const DEFAULT_CACHE_MAX_ENTRIES = 1000;

/** What a remembered token keeps: its frozen claims, and the answer when it is the claims themselves. */
interface Remembered<TPrincipal> {
  readonly claims: JwtClaims;
  readonly verified?: WsVerifiedToken<TPrincipal>;
}

type FastJwtVerify = (token: string) => { header: Record<string, unknown>; payload: JwtClaims };

/**
 * Verifies JWTs with `fast-jwt`'s synchronous verifier and an explicit
 * algorithm allowlist (RFC 8725 §3.1). What enforces each rule:
 *
 * - the allowlist: fast-jwt compares the header's `alg` with the list
 *   exactly (case-sensitive) before touching the key, so `none` in any
 *   casing, an algorithm off the list or a non-string `alg` is refused; a
 *   token with an empty signature is refused whatever its `alg`;
 * - `crit` (RFC 7515 §4.1.11): fast-jwt refuses every extension it was not
 *   told about (none here), and this class refuses any `crit` member at all,
 *   also a falsy one that fast-jwt lets through;
 * - key confusion: an HMAC secret must not look like a key in any form
 *   (checked here at construction, on top of fast-jwt's own PEM/JWK
 *   detection), and a public key is handed to fast-jwt as SPKI PEM, which it
 *   classifies by its ASN.1 type, so its algorithms never include HS*;
 * - `iss`, `aud`: fast-jwt's `allowedIss`/`allowedAud`, exact strings (no
 *   RegExp is ever passed, so the ReDoS class of advisory cannot apply);
 * - `exp`/`nbf`: fast-jwt, with the leeway converted from seconds to the
 *   milliseconds it takes; a non-number is refused;
 * - `iat` in the future: fast-jwt does not check it, so this class does;
 * - required claims and the types of `sub`/`sid`: this class.
 */
export class JwtVerifier<TPrincipal = JwtClaims> implements WsTokenVerifier<TPrincipal> {
  /** The token alone decides. */
  readonly readsRequest = false;
  private readonly fastVerify: FastJwtVerify;
  private readonly algorithms: readonly string[];
  private readonly requiredClaims: readonly string[];
  private readonly clockToleranceSec: number;
  private readonly cache?: VerifiedTokenCache<Remembered<TPrincipal>>;

  constructor(private readonly options: JwtVerifierOptions<TPrincipal>) {
    this.algorithms = JwtVerifier.checkKeyAndAlgorithms(options);
    this.requiredClaims = options.requiredClaims ?? ['sub', 'exp'];
    this.clockToleranceSec = JwtVerifier.checkClockTolerance(options.clockToleranceSec);
    const cacheMaxEntries = JwtVerifier.checkCacheMaxEntries(options.cacheMaxEntries);
    this.cache = cacheMaxEntries > 0 ? new VerifiedTokenCache(cacheMaxEntries) : undefined;
    const key = 'secret' in options ? Buffer.from(options.secret) : publicKeyPemOf(options.publicKey);
    try {
      this.fastVerify = createVerifier({
        key,
        algorithms: [...this.algorithms] as never,
        complete: true,
        allowedIss: options.issuer,
        allowedAud: options.audience,
        clockTolerance: this.clockToleranceSec * 1000,
        // Our own cache below: see VerifiedTokenCache for why not fast-jwt's.
        cache: false,
      }) as unknown as FastJwtVerify;
    } catch (error) {
      // fast-jwt refuses a key that does not go with the algorithms (an EC key for RS256, say).
      throw new WsAuthConfigurationError('JwtVerifier key does not fit its algorithms', { cause: error });
    }
  }

  /**
   * A verifier for the tokens a `JwtModule` with these options signs, so
   * the secret is written once: give the same object to
   * `JwtModule.register()` and here.
   */
  static fromJwtModuleOptions<TPrincipal = JwtClaims>(
    jwtModuleOptions: JwtModuleOptions,
    options?: JwtModuleVerifierOptions<TPrincipal>,
  ): JwtVerifier<TPrincipal> {
    return new JwtVerifier<TPrincipal>(jwtVerifierOptionsFromModule(jwtModuleOptions, options));
  }

  /** Synchronous unless `toPrincipal` returns a promise: HMAC and public-key checks need nothing outside the process. */
  verify(token: string): MaybePromise<WsVerifiedToken<TPrincipal> | null> {
    const remembered = this.cache?.get(token, Date.now()) ?? this.verifyToken(token);
    if (remembered === null) {
      return null;
    }
    if (remembered.verified) {
      return remembered.verified;
    }
    const { claims } = remembered;
    return then(this.options.toPrincipal!(claims), (principal) => verifiedFromClaims(claims, principal));
  }

  /** A full verification; `null` for a token that is not this verifier's. */
  private verifyToken(token: string): Remembered<TPrincipal> | null {
    // The claims are read before verification only to route by `iss`; without
    // an `issuer` every compact JWS is this verifier's, and fast-jwt reads them.
    if (this.options.issuer !== undefined && !this.isOwnIssuer(token)) {
      return null; // not a JWS compact token (maybe another verifier's), or another issuer's
    }
    let header: Record<string, unknown>;
    let claims: JwtClaims;
    try {
      ({ header, payload: claims } = this.fastVerify(token));
    } catch (error) {
      if (!(error instanceof TokenError)) {
        throw error;
      }
      if (decodeCompactJwsHeader(token) === null) {
        return null; // not a JWS compact token at all: maybe another verifier's (an opaque ticket)
      }
      throw new WsAuthError('invalid_token', 'The token failed verification', { cause: error });
    }
    if (header.crit !== undefined) {
      // RFC 7515 §4.1.11: extensions we do not understand must be refused.
      throw new WsAuthError('invalid_token', 'The token has critical header parameters');
    }
    assertClaimsPresent(claims, this.requiredClaims);
    assertIssuedInPast(claims, this.clockToleranceSec);
    freezeClaims(claims);
    const remembered: Remembered<TPrincipal> = {
      claims,
      verified: this.options.toPrincipal ? undefined : Object.freeze(frozenVerified(claims) as WsVerifiedToken<TPrincipal>),
    };
    if (this.cache && typeof claims.exp === 'number') {
      const notBefore = typeof claims.nbf === 'number' ? (claims.nbf - this.clockToleranceSec) * 1000 : 0;
      this.cache.set(token, remembered, notBefore, claims.exp * 1000);
    }
    return remembered;
  }

  /** Whether the unverified `iss` is ours; anything else is judged by the next verifier. */
  private isOwnIssuer(token: string): boolean {
    const decoded = decodeCompactJws(token);
    return decoded !== null && decoded.claims.iss === this.options.issuer;
  }

  private static checkClockTolerance(value: number | undefined): number {
    if (value === undefined) {
      return DEFAULT_CLOCK_TOLERANCE_SEC;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new WsAuthConfigurationError('JwtVerifier clockToleranceSec must be a non-negative number of seconds');
    }
    return value;
  }

  private static checkCacheMaxEntries(value: number | undefined): number {
    if (value === undefined) {
      return DEFAULT_CACHE_MAX_ENTRIES;
    }
    if (!Number.isInteger(value) || value < 0) {
      throw new WsAuthConfigurationError('JwtVerifier cacheMaxEntries must be a non-negative integer');
    }
    return value;
  }

  /** Fails at bootstrap on a configuration that would verify the wrong thing. */
  private static checkKeyAndAlgorithms(options: JwtVerifierOptions<unknown>): readonly string[] {
    if ('secret' in options && 'publicKey' in options) {
      throw new WsAuthConfigurationError('JwtVerifier takes a secret or a publicKey, not both');
    }
    if (!('secret' in options) && !('publicKey' in options)) {
      throw new Error('ws-auth: JwtVerifier needs a secret (HMAC) or a publicKey');
    }
    if ('secret' in options) {
      if (typeof options.secret !== 'string' && !Buffer.isBuffer(options.secret)) {
        // Usually an unset environment variable; the message never shows the value.
        throw new Error(`ws-auth: JwtVerifier secret must be a string or a Buffer, got ${describeType(options.secret)} (is the variable that holds it set?)`);
      }
      const secret = Buffer.from(options.secret);
      if (secret.length === 0) {
        throw new WsAuthConfigurationError('JwtVerifier secret is empty');
      }
      if (/-----BEGIN [A-Z0-9 ]+-----/.test(secret.toString('latin1'))) {
        // RS->HS key confusion: a public key, or the certificate that carries
        // one, must never double as an HMAC secret; found anywhere in the
        // bytes, so leading whitespace cannot hide it (GHSA-ww5h-9m49-7xx4).
        throw new WsAuthConfigurationError('JwtVerifier secret looks like a PEM key; pass it as publicKey');
      }
      if (isPublicKeyInOtherForm(secret)) {
        throw new WsAuthConfigurationError('JwtVerifier secret is a key in DER or JWK form, not secret bytes; pass a public key as publicKey');
      }
      const algorithms = options.algorithms ?? ['HS256'];
      if (algorithms.length === 0 || algorithms.some((alg) => !HMAC_ALGORITHMS.includes(alg))) {
        throw new WsAuthConfigurationError('a JwtVerifier secret takes HS256, HS384 or HS512 only');
      }
      const minimum = Math.max(...algorithms.map((alg) => MIN_HMAC_SECRET_BYTES[alg]));
      if (secret.length < minimum) {
        // A short secret can be brute-forced offline from any one token it signed.
        throw new Error(
          `ws-auth: JwtVerifier secret is ${secret.length} bytes; ${algorithms.join('/')} needs at least ${minimum} (RFC 7518 §3.2)`,
        );
      }
      return algorithms;
    }
    const algorithms = options.algorithms ?? [];
    if (algorithms.length === 0 || algorithms.some((alg) => HMAC_ALGORITHMS.includes(alg) || /^none$/i.test(alg))) {
      throw new WsAuthConfigurationError('a JwtVerifier publicKey needs an explicit list of RS/PS/ES algorithms');
    }
    return algorithms;
  }
}

function describeType(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/** The same key confusion as a PEM secret, in the other forms a key travels in (a JWK of any kind is never secret bytes). */
function isPublicKeyInOtherForm(secret: Buffer): boolean {
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      createPublicKey({ key: secret, format: 'der', type });
      return true;
    } catch {
      // not this form
    }
  }
  try {
    const jwk = JSON.parse(secret.toString('utf8')) as { kty?: unknown };
    return typeof jwk === 'object' && jwk !== null && typeof jwk.kty === 'string';
  } catch {
    return false;
  }
}

/** The verified answer, with its scopes frozen too: it is shared by every socket that presents the token. */
function frozenVerified(claims: JwtClaims): WsVerifiedToken<JwtClaims> {
  const verified = verifiedFromClaims(claims, claims);
  Object.freeze(verified.scopes);
  return verified;
}

/**
 * fast-jwt takes a public key as PEM (or DER) bytes and tells its type from
 * them; a KeyObject is exported once, at construction.
 */
function publicKeyPemOf(publicKey: string | Buffer | KeyObject): string {
  let key: KeyObject;
  try {
    key = publicKey instanceof KeyObject ? publicKey : createPublicKey(publicKey);
  } catch (error) {
    throw new WsAuthConfigurationError('JwtVerifier publicKey is not a public key (PEM, or a KeyObject)', { cause: error });
  }
  if (key.type !== 'public') {
    throw new WsAuthConfigurationError('JwtVerifier publicKey is not a public key (PEM, or a KeyObject)');
  }
  return key.export({ type: 'spki', format: 'pem' }) as string;
}
