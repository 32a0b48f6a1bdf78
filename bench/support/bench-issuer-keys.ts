import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { BenchIssuer, BenchIssuerAlgorithm } from '../servers/server-config.js';

/** What a client needs to act as the stand-in issuer: its identity and a private key per algorithm. */
export interface BenchIssuerSigner extends Omit<BenchIssuer, 'keys'> {
  readonly keys: readonly { readonly kid: string; readonly alg: BenchIssuerAlgorithm; readonly privateKeyPem: string }[];
}

/**
 * Fresh key pairs for one run, one per algorithm an issuer's access tokens
 * come in (RFC 9068 names RS256; ES256 is the other common one): the server
 * gets the public JWKs, the load generator the private keys.
 */
export function makeBenchIssuer(): { issuer: BenchIssuer; signer: BenchIssuerSigner } {
  const pairs: Array<{ kid: string; alg: BenchIssuerAlgorithm; publicKey: KeyObject; privateKey: KeyObject }> = [
    { kid: 'bench-rsa-1', alg: 'RS256', ...generateKeyPairSync('rsa', { modulusLength: 2048 }) },
    { kid: 'bench-ec-1', alg: 'ES256', ...generateKeyPairSync('ec', { namedCurve: 'P-256' }) },
  ];
  const identity = { issuer: 'https://issuer.bench.example', audience: 'https://chat.bench.example' };
  return {
    issuer: {
      ...identity,
      keys: pairs.map(({ kid, alg, publicKey }) => ({ kid, alg, publicJwk: publicKey.export({ format: 'jwk' }) as Record<string, unknown> })),
    },
    signer: {
      ...identity,
      keys: pairs.map(({ kid, alg, privateKey }) => ({ kid, alg, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string })),
    },
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Makes every issuer token of a process differ, even two of one user signed in the same second. */
let minted = 0;

/** An RFC 9068 access token of the n-th user, signed with the issuer's `alg` key as an OAuth issuer would. */
export function issuerToken(n: number, signer: BenchIssuerSigner, alg: BenchIssuerAlgorithm = 'RS256'): string {
  const key = signer.keys.find((candidate) => candidate.alg === alg);
  if (!key) {
    throw new Error(`bench: the stand-in issuer has no ${alg} key`);
  }
  const now = Math.floor(Date.now() / 1000);
  const header = { alg, typ: 'at+jwt', kid: key.kid };
  const claims = {
    iss: signer.issuer,
    aud: signer.audience,
    sub: `user-${n}`,
    client_id: 'bench-client',
    scope: 'chat:read chat:write',
    jti: `bench-${process.pid}-${++minted}`,
    iat: now,
    exp: now + 3600,
  };
  const input = `${b64(header)}.${b64(claims)}`;
  // JWS ES256 is the raw r || s pair (RFC 7518 §3.4), not DER.
  const signature = createSign('SHA256').update(input).sign({ key: key.privateKeyPem, dsaEncoding: 'ieee-p1363' }, 'base64url');
  return `${input}.${signature}`;
}
