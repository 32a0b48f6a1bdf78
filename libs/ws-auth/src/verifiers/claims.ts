import { WsAuthError } from '../ws-auth.errors.js';
import type { WsVerifiedToken } from '../interfaces/token-verifier.interface.js';

export type JwtClaims = Record<string, unknown>;

/**
 * The scopes of a token: RFC 8693/9068 `scope` (space-separated), or the
 * `scp` array some issuers use instead.
 */
export function scopesFromClaims(claims: JwtClaims): string[] {
  if (typeof claims.scope === 'string') {
    return splitScopes(claims.scope);
  }
  if (Array.isArray(claims.scp)) {
    return claims.scp.filter((scope): scope is string => typeof scope === 'string').slice(); // see splitScopes
  }
  if (typeof claims.scp === 'string') {
    return splitScopes(claims.scp);
  }
  return [];
}

/**
 * The scopes stay with the socket as long as it lives: `split` makes an
 * array of exactly their number, where `filter` leaves a backing store of 17
 * slots behind (about 120 bytes per idle socket), so it runs only when needed.
 */
function splitScopes(value: string): string[] {
  const scopes = value.split(' ');
  return scopes.includes('') ? scopes.filter(Boolean).slice() : scopes;
}

/** Refuses a token that lacks a claim the deployment relies on. */
export function assertClaimsPresent(claims: JwtClaims, required: readonly string[]): void {
  for (const name of required) {
    const value = claims[name];
    if (value === undefined || value === null || value === '') {
      throw new WsAuthError('invalid_token', `The token has no ${name} claim`);
    }
  }
  if (claims.sub !== undefined && typeof claims.sub !== 'string') {
    throw new WsAuthError('invalid_token', 'The sub claim is not a string');
  }
  if (claims.sid !== undefined && typeof claims.sid !== 'string') {
    throw new WsAuthError('invalid_token', 'The sid claim is not a string');
  }
}

/**
 * RFC 7519 §4.1.6: `iat` is a NumericDate, and one further ahead than the
 * clock leeway is refused. jsonwebtoken checks neither, jose not the second.
 * A future `iat` would also escape `revokeSubject()`, which ends the tokens
 * issued up to the revocation by comparing it with their `iat`.
 */
export function assertIssuedInPast(claims: JwtClaims, clockToleranceSec: number): void {
  if (claims.iat === undefined) {
    return;
  }
  if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) {
    throw new WsAuthError('invalid_token', 'The iat claim is not a number');
  }
  if (claims.iat > Math.floor(Date.now() / 1000) + clockToleranceSec) {
    throw new WsAuthError('invalid_token', 'The token was issued in the future');
  }
}

/** The verified shape of a JWT whose signature and claims have been checked. */
export function verifiedFromClaims<TPrincipal>(claims: JwtClaims, principal: TPrincipal): WsVerifiedToken<TPrincipal> {
  return {
    principal,
    subject: claims.sub as string,
    sessionId: typeof claims.sid === 'string' ? claims.sid : undefined,
    scopes: scopesFromClaims(claims),
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
    issuedAt: typeof claims.iat === 'number' ? claims.iat * 1000 : undefined,
  };
}

/**
 * Freezes verified claims and everything in them, so that a handler that
 * changes its principal (the claims, by default) cannot change what another
 * socket with the same token sees: the verified-token cache hands the same
 * claims to every connection that presents the token. Claims come from
 * `JSON.parse`, so they hold no cycles and nothing but plain data.
 */
export function freezeClaims<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) {
      freezeClaims(inner);
    }
  }
  return value;
}

/** RFC 7519 §4.1.3: `aud` (a string or an array of them) names one of the audiences this server answers to. */
export function assertAudience(claims: JwtClaims, audience: readonly string[]): void {
  const { aud } = claims;
  const named = typeof aud === 'string' ? audience.includes(aud) : Array.isArray(aud) && aud.some((value) => typeof value === 'string' && audience.includes(value));
  if (!named) {
    throw new WsAuthError('invalid_token', 'The token is not for this audience');
  }
}

/**
 * RFC 7519 §4.1.4-5: `exp` and `nbf` are NumericDates, and hold within the
 * leeway, compared in whole seconds as jose does: expired once
 * `exp <= now - leeway`, not yet valid while `nbf > now + leeway`.
 */
export function assertTimeClaims(claims: JwtClaims, clockToleranceSec: number): void {
  const now = Math.floor(Date.now() / 1000);
  const { exp, nbf } = claims;
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) {
    throw new WsAuthError('invalid_token', 'The exp claim is not a number');
  }
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) {
    throw new WsAuthError('invalid_token', 'The nbf claim is not a number');
  }
  if (exp !== undefined && exp <= now - clockToleranceSec) {
    throw new WsAuthError('invalid_token', 'The token has expired');
  }
  if (nbf !== undefined && nbf > now + clockToleranceSec) {
    throw new WsAuthError('invalid_token', 'The token is not valid yet');
  }
}
