import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { DEFAULT_CLOCK_TOLERANCE_SEC } from '../ws-auth.constants.js';
import { WsAuthError } from '../ws-auth.errors.js';
import type { WsTokenVerifier, WsVerifiedToken } from '../interfaces/token-verifier.interface.js';
import { assertClaimsPresent, assertIssuedInPast, verifiedFromClaims, type JwtClaims } from './claims.js';
import { decodeCompactJws, decodeCompactJwsHeader } from './compact-jws.js';
import { then, type MaybePromise } from '../maybe-promise.js';

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
  /** Builds the principal handed to handlers. Default: the claims. */
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

/**
 * Verifies JWTs through `@nestjs/jwt` (jsonwebtoken) with an explicit
 * algorithm allowlist (RFC 8725 §3.1). The header is inspected first, so that
 * `alg: none` in any casing, an algorithm off the list or an unknown `crit`
 * is refused before any key is touched.
 */
export class JwtVerifier<TPrincipal = JwtClaims> implements WsTokenVerifier<TPrincipal> {
  private readonly jwt: JwtService;
  private readonly algorithms: readonly string[];
  private readonly requiredClaims: readonly string[];

  constructor(private readonly options: JwtVerifierOptions<TPrincipal>) {
    this.algorithms = JwtVerifier.checkKeyAndAlgorithms(options);
    this.requiredClaims = options.requiredClaims ?? ['sub', 'exp'];
    this.jwt = new JwtService({
      ...('secret' in options ? { secret: secretKeyOf(options.secret) } : { publicKey: publicKeyOf(options.publicKey) }),
      verifyOptions: {
        algorithms: [...this.algorithms] as never,
        issuer: options.issuer,
        audience: options.audience as never,
        clockTolerance: options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC,
      },
    });
  }

  /** Synchronous unless `toPrincipal` returns a promise: HMAC and public-key checks need nothing outside the process. */
  verify(token: string): MaybePromise<WsVerifiedToken<TPrincipal> | null> {
    // The claims are read before verification only to route by `iss`; without
    // an `issuer` every compact JWS is this verifier's, and jsonwebtoken reads them.
    const header = this.options.issuer === undefined ? decodeCompactJwsHeader(token) : this.headerOfOwnIssuer(token);
    if (!header) {
      return null; // not a JWS compact token (maybe another verifier's), or another issuer's
    }
    if (typeof header.alg !== 'string' || !this.algorithms.includes(header.alg)) {
      throw new WsAuthError('invalid_token', 'The token algorithm is not allowed');
    }
    if (header.crit !== undefined) {
      // RFC 7515 §4.1.11: extensions we do not understand must be refused.
      throw new WsAuthError('invalid_token', 'The token has critical header parameters');
    }
    let claims: JwtClaims;
    try {
      // The synchronous form: the key is a KeyObject at hand, and verifyAsync
      // only adds promise hops on the handshake path.
      claims = this.jwt.verify<JwtClaims>(token);
    } catch (error) {
      throw new WsAuthError('invalid_token', 'The token failed verification', { cause: error });
    }
    assertClaimsPresent(claims, this.requiredClaims);
    assertIssuedInPast(claims, this.options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC);
    if (!this.options.toPrincipal) {
      return verifiedFromClaims(claims, claims as TPrincipal);
    }
    return then(this.options.toPrincipal(claims), (principal) => verifiedFromClaims(claims, principal));
  }

  /** The header of a token whose unverified `iss` is ours; `null` for anything else, judged by the next verifier. */
  private headerOfOwnIssuer(token: string): Record<string, unknown> | null {
    const decoded = decodeCompactJws(token);
    return decoded && decoded.claims.iss === this.options.issuer ? decoded.header : null;
  }

  /** Fails at bootstrap on a configuration that would verify the wrong thing. */
  private static checkKeyAndAlgorithms(options: JwtVerifierOptions<unknown>): readonly string[] {
    if ('secret' in options && 'publicKey' in options) {
      throw new Error('ws-auth: JwtVerifier takes a secret or a publicKey, not both');
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
        throw new Error('ws-auth: JwtVerifier secret is empty');
      }
      if (/-----BEGIN [A-Z ]*KEY-----/.test(secret.toString('latin1'))) {
        // RS->HS key confusion: a public key must never double as an HMAC secret.
        throw new Error('ws-auth: JwtVerifier secret looks like a PEM key; pass it as publicKey');
      }
      if (isPublicKeyInOtherForm(secret)) {
        throw new Error('ws-auth: JwtVerifier secret is a key in DER or JWK form, not secret bytes; pass a public key as publicKey');
      }
      const algorithms = options.algorithms ?? ['HS256'];
      if (algorithms.length === 0 || algorithms.some((alg) => !HMAC_ALGORITHMS.includes(alg))) {
        throw new Error('ws-auth: a JwtVerifier secret takes HS256, HS384 or HS512 only');
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
      throw new Error('ws-auth: a JwtVerifier publicKey needs an explicit list of RS/PS/ES algorithms');
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

/**
 * The key as a KeyObject, made once. Given a string or a Buffer,
 * jsonwebtoken's verify first tries `createPublicKey()` on it for every
 * token, and for an HMAC secret that throws and builds a Node error with its
 * stack before `createSecretKey()`: about half of the server's busy time in
 * the handshake benchmark (BENCHMARKS.md). A KeyObject skips both.
 */
function secretKeyOf(secret: string | Buffer): KeyObject {
  return createSecretKey(Buffer.from(secret));
}

function publicKeyOf(publicKey: string | Buffer | KeyObject): KeyObject {
  if (publicKey instanceof KeyObject) {
    return publicKey;
  }
  try {
    return createPublicKey(publicKey);
  } catch (error) {
    throw new Error('ws-auth: JwtVerifier publicKey is not a public key (PEM, or a KeyObject)', { cause: error });
  }
}
