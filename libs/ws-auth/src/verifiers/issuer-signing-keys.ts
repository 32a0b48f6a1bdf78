import { createPublicKey, type KeyObject } from 'node:crypto';

/** The key type and curve each JWS algorithm needs (RFC 7518 §6, RFC 8037). */
const KEY_TYPE_OF: Readonly<Record<string, { kty: string; crv?: string }>> = {
  RS256: { kty: 'RSA' }, RS384: { kty: 'RSA' }, RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' }, PS384: { kty: 'RSA' }, PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' }, ES384: { kty: 'EC', crv: 'P-384' }, ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' }, Ed25519: { kty: 'OKP', crv: 'Ed25519' },
};
/** RFC 7518 §3.3: RSA keys of at least 2048 bits, as jose requires too. */
const MIN_RSA_BITS = 2048;

interface SigningKey {
  readonly kid?: string;
  readonly kty: string;
  readonly crv?: string;
  readonly alg?: string;
  readonly key: KeyObject;
}

/**
 * An issuer's JWKS as KeyObjects, made once per fetched key set, so that a
 * handshake verifies with `crypto.verify` and the key at hand rather than
 * importing a key per token. Picks keys as jose's key sets do: by `kid`
 * when the token names one, then by key type and curve for the token's
 * `alg`, the key's own `alg` when it has one, and only keys meant for
 * signatures (`use: sig` or no `use`, `key_ops` with `verify` or none).
 * Keys that cannot be imported, or RSA keys under 2048 bits, are left out.
 */
export class IssuerSigningKeys {
  private readonly keys: readonly SigningKey[];
  /** Candidates by `kid` and `alg`: a handshake's lookup is one Map access. */
  private readonly chosen = new Map<string, readonly KeyObject[]>();

  constructor(jwks: unknown) {
    const listed = (jwks as { keys?: unknown } | null)?.keys;
    this.keys = (Array.isArray(listed) ? listed : []).flatMap((jwk: unknown) => {
      const key = importSigningKey(jwk);
      return key ? [key] : [];
    });
  }

  /** The keys that may have signed a token with this header; empty when none fits. */
  candidates(header: Record<string, unknown>): readonly KeyObject[] {
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const alg = header.alg as string;
    const index = `${alg} ${kid ?? ''}`;
    let found = this.chosen.get(index);
    if (found === undefined) {
      const type = KEY_TYPE_OF[alg];
      found = type
        ? this.keys
            .filter((key) => (kid === undefined || key.kid === kid) && key.kty === type.kty && key.crv === type.crv && (key.alg === undefined || key.alg === alg))
            .map((key) => key.key)
        : [];
      if (kid === undefined && found.length > 1) {
        // As jose's key sets: without a kid, several fitting keys are no answer (refused, not tried in turn).
        found = [];
      }
      if (this.chosen.size < 64 || found.length > 0) {
        // Misses are remembered only up to a bound: forged kids must not grow the map.
        this.chosen.set(index, found);
      }
    }
    return found;
  }
}

function importSigningKey(jwk: unknown): SigningKey | undefined {
  if (typeof jwk !== 'object' || jwk === null) {
    return undefined;
  }
  const { kid, kty, crv, alg, use, key_ops: ops } = jwk as Record<string, unknown>;
  if (typeof kty !== 'string' || (use !== undefined && use !== 'sig') || (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify')))) {
    return undefined;
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch {
    return undefined; // a private or symmetric JWK, or one Node cannot read: never a verification key here
  }
  if (key.type !== 'public' || (kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)) {
    return undefined;
  }
  return {
    kid: typeof kid === 'string' ? kid : undefined,
    kty,
    crv: typeof crv === 'string' ? crv : undefined,
    alg: typeof alg === 'string' ? alg : undefined,
    key,
  };
}
