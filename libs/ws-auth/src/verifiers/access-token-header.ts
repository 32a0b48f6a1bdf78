import { WsAuthError } from '../ws-auth.errors.js';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';

/** Signature algorithms an issuer's access tokens may use; HMAC and `none` are never among them. */
export type IssuerAlgorithm =
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA' | 'Ed25519';

/** What most issuers sign with (RFC 9068 §2.1 requires RS256 support; the others are common). */
export const DEFAULT_ISSUER_ALGORITHMS: readonly IssuerAlgorithm[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

const ISSUER_ALGORITHMS: ReadonlySet<string> = new Set<IssuerAlgorithm>([
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
]);

/**
 * Fails at construction on an allowlist that could verify the wrong thing:
 * an HMAC algorithm would make the issuer's public key a shared secret
 * (RFC 8725 §2.1), and `none` is no signature at all.
 */
export function checkIssuerAlgorithms(algorithms: readonly string[]): readonly IssuerAlgorithm[] {
  if (algorithms.length === 0) {
    throw new WsAuthConfigurationError('IssuerVerifier needs at least one algorithm');
  }
  for (const alg of algorithms) {
    if (!ISSUER_ALGORITHMS.has(alg)) {
      throw new WsAuthConfigurationError(`IssuerVerifier does not take "${alg}": only RS, PS, ES and EdDSA algorithms`);
    }
  }
  return algorithms as readonly IssuerAlgorithm[];
}

/**
 * RFC 9068 §4: the `typ` of an access token is `at+jwt` or `application/at+jwt`.
 * Media types are case-insensitive, and RFC 7515 §4.1.9 lets `application/` be
 * left out, so both spellings are one type. Without this check an ID token
 * of the same issuer (same `iss`, same keys) would pass for an access token.
 */
export function isAccessTokenType(typ: unknown): boolean {
  if (typeof typ !== 'string') {
    return false;
  }
  const type = typ.toLowerCase();
  return type === 'at+jwt' || type === 'application/at+jwt';
}

/**
 * Judges the protected header before any key is fetched, so a token that
 * could never pass costs no request to the issuer.
 */
export function assertAccessTokenHeader(header: Record<string, unknown>, algorithms: readonly string[]): void {
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw new WsAuthError('invalid_token', 'The token algorithm is not allowed');
  }
  if (!isAccessTokenType(header.typ)) {
    throw new WsAuthError('invalid_token', 'The token is not an access token (typ at+jwt)');
  }
}
