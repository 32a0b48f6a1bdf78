import { constants, createHmac, sign, type KeyObject } from 'node:crypto';

/** base64url of a string as is, or of an object's JSON. */
export const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Produces the signature of a JWS signing input. */
export type Signer = (input: string) => Buffer;

/**
 * A compact JWS built by hand, so any header, any payload text (raw JSON with
 * `__proto__` keys, or no JSON at all) and any signature can be sent.
 * `payload` is taken as the payload's exact text when it is a string.
 */
export function jws(header: Record<string, unknown>, payload: Record<string, unknown> | string, signer: Signer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${signer(input).toString('base64url')}`;
}

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** HMAC with any bytes as the key: the right secret, a guessed one, or a public key's bytes (key confusion). */
export const hmac = (key: string | Buffer, alg = 'HS256'): Signer => (input) =>
  createHmac(HASH[alg.slice(2)], key).update(input).digest();

/** RSxxx, PSxxx or ESxxx with a private key. */
export const asymmetric = (key: KeyObject, alg: string): Signer => (input) => {
  const hash = HASH[alg.slice(2)];
  const data = Buffer.from(input);
  if (alg.startsWith('PS')) {
    return sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  }
  if (alg.startsWith('ES')) {
    return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  }
  return sign(hash, data, key);
};

/**
 * The forms in which an attacker may feed a verifier's public key to HMAC
 * (RS→HS key confusion): the bytes a naive verifier would take as its "secret".
 */
export const PUBLIC_KEY_FORMS: Array<[string, (publicKey: KeyObject) => string | Buffer]> = [
  ['its SPKI PEM', (key) => spkiPem(key)],
  ['its PEM after a newline and spaces', (key) => `\n  ${spkiPem(key)}`],
  ['its PEM after a UTF-8 byte-order mark', (key) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(spkiPem(key))])],
  ['its PEM without the trailing newline', (key) => spkiPem(key).trimEnd()],
  ['its PKCS#1 PEM', (key) => key.export({ type: 'pkcs1', format: 'pem' }) as string],
  ['its SPKI DER', (key) => key.export({ type: 'spki', format: 'der' })],
  ['its JWK as JSON', (key) => JSON.stringify(key.export({ format: 'jwk' }))],
  ['its modulus (JWK n) bytes', (key) => Buffer.from(key.export({ format: 'jwk' }).n as string, 'base64url')],
];

const spkiPem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }) as string;

/** The token with one bit of its signature flipped (in the bytes, not in base64url's padding bits). */
export function flipSignatureBit(token: string): string {
  const [header, payload, signature] = token.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0] ^= 0x01;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

/** The token with its signature removed: `header.payload.` */
export const withoutSignature = (token: string): string => `${token.split('.').slice(0, 2).join('.')}.`;

/** Strings that would do harm if a verifier used `kid` in a path, a query or an allocation. */
export const KID_INJECTIONS: Array<[string, string]> = [
  ['a path traversal', '../../../../../../etc/passwd'],
  ['an SQL injection', "' OR 1=1 --"],
  ['a 4,000-character kid', 'k'.repeat(4000)],
];

/** Raw payload JSON with keys that pollute `Object.prototype` if merged naively. */
export function pollutingPayload(claims: Record<string, unknown>, key: '__proto__' | 'constructor'): string {
  const poison = key === '__proto__' ? '{"polluted":"yes"}' : '{"prototype":{"polluted":"yes"}}';
  return `${JSON.stringify(claims).slice(0, -1)},"${key}":${poison}}`;
}

/** Whether anything has written `polluted` onto `Object.prototype`. */
export const prototypePolluted = (): boolean =>
  Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted') || ({} as Record<string, unknown>).polluted !== undefined;
