import { constants, verify, type KeyObject } from 'node:crypto';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The `crypto.verify` arguments of each asymmetric JWS algorithm (RFC 7518
 * §3.3-3.5, RFC 8037): the digest, and the options object when the key alone
 * does not say how to read the signature. ES* signatures are JOSE's raw
 * `r || s`, not DER, hence `ieee-p1363`; PS* use PSS with a salt as long as
 * the digest. RS* and EdDSA pass the bare KeyObject: Node then skips
 * building a key from an options object on every call (BENCHMARKS.md,
 * "Verification", measures both forms).
 */
const SCHEMES: Readonly<Record<string, { digest: string | null; options?: (key: KeyObject) => Parameters<typeof verify>[2] }>> = {
  RS256: { digest: 'sha256' },
  RS384: { digest: 'sha384' },
  RS512: { digest: 'sha512' },
  PS256: { digest: 'sha256', options: pss },
  PS384: { digest: 'sha384', options: pss },
  PS512: { digest: 'sha512', options: pss },
  ES256: { digest: 'sha256', options: p1363 },
  ES384: { digest: 'sha384', options: p1363 },
  ES512: { digest: 'sha512', options: p1363 },
  EdDSA: { digest: null },
  Ed25519: { digest: null },
};

function pss(key: KeyObject) {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
}

function p1363(key: KeyObject) {
  return { key, dsaEncoding: 'ieee-p1363' as const };
}

/**
 * Whether `signature` (base64url, as in the token) signs `input` (the
 * token's `header.payload`) under `alg` with `key`. Synchronous: the key is
 * a KeyObject already in hand. The caller has matched the key to `alg`.
 */
export function verifyJwsSignature(alg: string, key: KeyObject, input: string, signature: string): boolean {
  const scheme = SCHEMES[alg];
  if (scheme === undefined || !BASE64URL.test(signature)) {
    return false;
  }
  try {
    return verify(scheme.digest, Buffer.from(input), scheme.options ? scheme.options(key) : key, Buffer.from(signature, 'base64url'));
  } catch {
    return false; // a key of another type than alg, or a signature of the wrong length
  }
}
