import { signHs } from '../../test/support/tokens.js';

/** The HMAC secret of every server and client of the benchmark. */
export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256!!';

/** Token lifetime: far beyond a run, so no socket expires while it is measured. */
const LIFETIME_SEC = 3600;

/**
 * The claims of the n-th simulated user: its own subject and login session,
 * as in an app where every socket is a different person (the session
 * registry then holds one index entry per socket, its worst case).
 */
export function benchClaims(n: number): { sub: string; sid: string; scope: string; iat: number; exp: number } {
  const now = Math.floor(Date.now() / 1000);
  return { sub: `user-${n}`, sid: benchSessionId(n), scope: 'chat:read chat:write', iat: now, exp: now + LIFETIME_SEC };
}

/** The own HS256 token of the n-th user; with a `jti`, one that differs from every other token of that user. */
export function benchToken(n: number, jti?: string): string {
  return signHs(jti === undefined ? benchClaims(n) : { ...benchClaims(n), jti }, BENCH_JWT_SECRET);
}

/** The login session of the n-th user, for revocations. */
export function benchSessionId(n: number): string {
  return `session-${n}`;
}
