import { createSign, generateKeyPairSync } from 'node:crypto';
import type { BenchIssuer } from '../servers/server-config.js';

/** What a client needs to act as the stand-in issuer: its identity and private key. */
export interface BenchIssuerSigner extends Omit<BenchIssuer, 'publicJwk'> {
  readonly privateKeyPem: string;
}

/** A fresh RS256 key pair for one run: the server gets the public JWK, the load generator the private key. */
export function makeBenchIssuer(): { issuer: BenchIssuer; signer: BenchIssuerSigner } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const identity = { issuer: 'https://issuer.bench.example', audience: 'https://chat.bench.example', kid: 'bench-key-1' };
  return {
    issuer: { ...identity, publicJwk: publicKey.export({ format: 'jwk' }) as Record<string, unknown> },
    signer: { ...identity, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An RFC 9068 access token of the n-th user, signed RS256 as an OAuth issuer would. */
export function issuerToken(n: number, signer: BenchIssuerSigner): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'at+jwt', kid: signer.kid };
  const claims = {
    iss: signer.issuer,
    aud: signer.audience,
    sub: `user-${n}`,
    client_id: 'bench-client',
    scope: 'chat:read chat:write',
    jti: `bench-${n}`,
    iat: now,
    exp: now + 3600,
  };
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(signer.privateKeyPem, 'base64url')}`;
}
