import type { KeyObject } from 'node:crypto';
import { DEFAULT_CLOCK_TOLERANCE_SEC } from '../ws-auth.constants.js';
import { WsAuthError } from '../ws-auth.errors.js';
import type { WsTokenVerifier, WsVerifiedToken } from '../interfaces/token-verifier.interface.js';
import {
  assertAccessTokenHeader,
  checkIssuerAlgorithms,
  DEFAULT_ISSUER_ALGORITHMS,
  type IssuerAlgorithm,
} from './access-token-header.js';
import { assertAudience, assertClaimsPresent, assertIssuedInPast, assertTimeClaims, verifiedFromClaims, type JwtClaims } from './claims.js';
import { IssuerKeySet } from './issuer-key-set.js';
import { issuerPrincipalFromClaims, type IssuerPrincipal } from './issuer-principal.js';
import { checkIssuerUrl } from './issuer-url.js';
import { verifyJwsSignature } from './jws-signature.js';
import { then, type MaybePromise } from '../maybe-promise.js';
import { decodeCompactJws } from './compact-jws.js';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';

export interface IssuerVerifierOptions<TPrincipal = IssuerPrincipal> {
  /**
   * The issuer identifier, exactly as its tokens' `iss` and its discovery
   * document's `issuer` spell it (`https://login.example.com/realms/acme`).
   */
  issuer: string;
  /** The `aud` this server answers to (its resource indicator); a token must carry one of them. */
  audience: string | string[];
  /** The issuer's JWKS, when it has no discovery document: discovery is skipped. */
  jwksUri?: string;
  /** Default `['RS256', 'ES256', 'PS256', 'EdDSA']`. HMAC and `none` are refused. */
  algorithms?: IssuerAlgorithm[];
  /** Seconds of leeway on `exp`, `nbf` and `iat`. Default 5. */
  clockToleranceSec?: number;
  /** Claims a token must carry besides `iss` and `aud`. Default `['sub', 'exp']`. */
  requiredClaims?: string[];
  /**
   * After a fetch of the JWKS, how long a token with an unknown `kid` is
   * refused before it may cause another fetch: the bound on how late a key
   * the issuer starts using is accepted, and on how often a stream of forged
   * `kid`s can make us call the issuer. Default 30 000 ms.
   */
  keysCooldownMs?: number;
  /** How long fetched keys are used before they are refetched. Default 600 000 ms. */
  keysMaxAgeMs?: number;
  /**
   * Bound on each request to the issuer (discovery, JWKS). Default 800 ms:
   * below the handshake's 1 s bound, so a refetch that times out still
   * leaves time to answer from the last keys.
   */
  fetchTimeoutMs?: number;
  /** Builds the principal handed to handlers. Default: an `IssuerPrincipal`. */
  toPrincipal?: (claims: JwtClaims) => TPrincipal | Promise<TPrincipal>;
}

const DEFAULT_KEYS_COOLDOWN_MS = 30_000;
const DEFAULT_KEYS_MAX_AGE_MS = 10 * 60_000;
const DEFAULT_FETCH_TIMEOUT_MS = 800;

/**
 * Verifies RFC 9068 JWT access tokens of one external OAuth 2.0 / OpenID
 * Connect issuer, with keys from its JWKS. Put one per trusted issuer in the
 * `verifiers` list, before a verifier that claims every JWT (`JwtVerifier`
 * without `issuer`): a token whose `iss` is not this issuer is left to the
 * next verifier, and one whose `iss` is this issuer is judged here alone.
 *
 * A token is accepted when its header says `typ: at+jwt` with an allowed
 * `alg`, its signature verifies with one of the issuer's keys, its `aud`
 * names this server, `exp`/`nbf` hold within the leeway, it has a `sub` and
 * it is not bound to a key (`cnf`) that the bearer would have to prove.
 * An issuer that cannot be reached (and no key cached) makes the handshake
 * answer 503, never a misleading 401.
 */
export class IssuerVerifier<TPrincipal = IssuerPrincipal> implements WsTokenVerifier<TPrincipal> {
  /** The token and the issuer's keys decide; the request is never read. */
  readonly readsRequest = false;
  private readonly issuer: string;
  private readonly audience: string[];
  private readonly algorithms: readonly IssuerAlgorithm[];
  private readonly clockToleranceSec: number;
  private readonly requiredClaims: readonly string[];
  private readonly keys: IssuerKeySet;

  constructor(private readonly options: IssuerVerifierOptions<TPrincipal>) {
    this.issuer = IssuerVerifier.checkIssuer(options.issuer);
    this.audience = IssuerVerifier.checkAudience(options.audience);
    this.algorithms = checkIssuerAlgorithms(options.algorithms ?? DEFAULT_ISSUER_ALGORITHMS);
    this.clockToleranceSec = options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
    this.requiredClaims = options.requiredClaims ?? ['sub', 'exp'];
    this.keys = new IssuerKeySet({
      issuer: this.issuer,
      jwksUri: options.jwksUri === undefined ? undefined : checkIssuerUrl(options.jwksUri, 'jwksUri'),
      cooldownMs: milliseconds(options.keysCooldownMs, DEFAULT_KEYS_COOLDOWN_MS, 'keysCooldownMs'),
      cacheMaxAgeMs: milliseconds(options.keysMaxAgeMs, DEFAULT_KEYS_MAX_AGE_MS, 'keysMaxAgeMs'),
      timeoutMs: milliseconds(options.fetchTimeoutMs, DEFAULT_FETCH_TIMEOUT_MS, 'fetchTimeoutMs'),
    });
  }

  /**
   * Synchronous once the issuer's keys are in hand (and `toPrincipal`, if
   * any, answers at once): the signature is checked with `crypto.verify` and
   * the KeyObject held for the token's `kid`. A promise only while keys are
   * being fetched.
   */
  verify(token: string): MaybePromise<WsVerifiedToken<TPrincipal> | null> {
    const decoded = decodeCompactJws(token);
    if (!decoded) {
      return null; // not a JWS compact token: maybe another verifier's
    }
    const { header, claims } = decoded;
    if (claims.iss !== this.issuer) {
      return null; // another issuer's token (or our own app's): the next verifier's to judge
    }
    // From here the token claims to be this issuer's: no other verifier may accept it.
    assertAccessTokenHeader(header, this.algorithms);
    if (header.crit !== undefined) {
      // RFC 7515 §4.1.11: no extension is understood here (nor RFC 7797's b64, which comes with crit).
      throw new WsAuthError('invalid_token', 'The token has critical header parameters');
    }
    let keys: MaybePromise<readonly KeyObject[]>;
    try {
      keys = this.keys.keysFor(header, token);
    } catch (error) {
      throw WsAuthError.from(error, 'invalid_token', 'The token failed verification');
    }
    return then(keys, (found) => this.accept(token, header.alg as string, found, claims));
  }

  /** The signature, then the claims (RFC 9068 §4), of a token whose header passed. */
  private accept(token: string, alg: string, keys: readonly KeyObject[], claims: JwtClaims): MaybePromise<WsVerifiedToken<TPrincipal>> {
    const dot = token.lastIndexOf('.');
    const input = token.slice(0, dot);
    const signature = token.slice(dot + 1);
    // Several keys only for a token without `kid` when the issuer has several of its type.
    if (!keys.some((key) => verifyJwsSignature(alg, key, input, signature))) {
      throw new WsAuthError('invalid_token', 'The token signature is invalid');
    }
    assertAudience(claims, this.audience);
    assertTimeClaims(claims, this.clockToleranceSec);
    assertClaimsPresent(claims, this.requiredClaims);
    assertIssuedInPast(claims, this.clockToleranceSec);
    if (claims.cnf !== undefined) {
      // A sender-constrained token (DPoP, RFC 9449; mTLS, RFC 8705) is only
      // good with a proof of possession of its key, which is not checked here:
      // taken as a bearer token it would let whoever stole it in.
      throw new WsAuthError('invalid_token', 'The token is bound to a key (cnf) and cannot be used as a bearer token');
    }
    if (!this.options.toPrincipal) {
      return verifiedFromClaims(claims, issuerPrincipalFromClaims(claims) as TPrincipal);
    }
    return then(this.options.toPrincipal(claims), (principal) => verifiedFromClaims(claims, principal));
  }

  private static checkIssuer(issuer: string): string {
    const url = checkIssuerUrl(issuer, 'issuer');
    if (url.search) {
      // OpenID Connect Discovery 1.0 §3: an issuer has no query.
      throw new WsAuthConfigurationError('IssuerVerifier issuer must not have a query');
    }
    return issuer; // compared with `iss` as written, not normalised: RFC 9068 §4 asks for an exact match
  }

  private static checkAudience(audience: string | string[]): string[] {
    const list = typeof audience === 'string' ? [audience] : [...(audience ?? [])];
    if (list.length === 0 || list.some((value) => typeof value !== 'string' || value.length === 0)) {
      throw new WsAuthConfigurationError('IssuerVerifier needs an audience (the aud its tokens must carry)');
    }
    return list;
  }
}

function milliseconds(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new WsAuthConfigurationError(`IssuerVerifier ${name} must be a non-negative integer of milliseconds`);
  }
  return value;
}
