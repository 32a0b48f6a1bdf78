import { createHmac, generateKeyPairSync } from 'node:crypto';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An HS256 JWT signed by hand, so tests can forge any header or claim. */
export function signHs(claims: Record<string, unknown>, secret: string | Buffer, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const algorithm = ({ HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as Record<string, string>)[String(header.alg)] ?? 'sha256';
  return `${input}.${createHmac(algorithm, secret).update(input).digest('base64url')}`;
}

/** An unsigned token: `alg` as given, empty signature. */
export function unsigned(claims: Record<string, unknown>, alg: string): string {
  return `${b64({ alg, typ: 'JWT' })}.${b64(claims)}.`;
}

/** Claims of a valid own token of the chat app, with overrides. */
export function ownClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'maggie', sid: 'session-1', iat: now, exp: now + 300, ...overrides };
}

export function rsaKeyPair() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}
