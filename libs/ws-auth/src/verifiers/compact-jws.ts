/** A compact JWS's header and claims, read without verifying anything. */
export interface DecodedCompactJws {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Reads the header and claims of a compact JWS (`header.payload.signature`,
 * each part base64url without padding, the first two JSON objects), before
 * its signature is checked: what a verifier needs to tell whether a token is
 * its own and which algorithm it claims. `null` for anything else, which is
 * not a JWT (an opaque ticket, a JWE, garbage).
 *
 * One native base64url pass per part: jose's `decodeProtectedHeader` and
 * `decodeJwt` each split the token, and decode through `atob`, which Node 20
 * implements in JavaScript; on the handshake path that was about 10 µs of
 * CPU per token (BENCHMARKS.md).
 */
export function decodeCompactJws(token: string): DecodedCompactJws | null {
  const dots = compactDots(token);
  if (!dots) {
    return null;
  }
  const header = decodeJsonObject(token.slice(0, dots[0]));
  const claims = header && decodeJsonObject(token.slice(dots[0] + 1, dots[1]));
  return header && claims ? { header, claims } : null;
}

/**
 * The header alone, for a verifier that needs only `alg` and `crit` before
 * handing the token to a library that decodes the claims itself.
 */
export function decodeCompactJwsHeader(token: string): Record<string, unknown> | null {
  const dots = compactDots(token);
  return dots && decodeJsonObject(token.slice(0, dots[0]));
}

/** Where the two dots of `header.payload.signature` are; `null` for any other count. */
function compactDots(token: string): [number, number] | null {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
    return null;
  }
  return [first, second];
}

function decodeJsonObject(part: string): Record<string, unknown> | null {
  if (!BASE64URL.test(part)) {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
