import fc from 'fast-check';
import { decodeCompactJws } from './compact-jws.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('decodeCompactJws', () => {
  it('reads the header and claims of header.payload.signature', () => {
    expect(decodeCompactJws(`${b64({ alg: 'HS256' })}.${b64({ sub: 'maggie' })}.c2ln`)).toEqual({
      header: { alg: 'HS256' },
      claims: { sub: 'maggie' },
    });
  });

  it('reads an unsigned token, whose signature part is empty (its verifier refuses it)', () => {
    expect(decodeCompactJws(`${b64({ alg: 'none' })}.${b64({ sub: 'maggie' })}.`)?.header).toEqual({ alg: 'none' });
  });

  it('keeps UTF-8 text as sent', () => {
    expect(decodeCompactJws(`${b64({ alg: 'HS256' })}.${b64({ name: 'Zoë ✓' })}.x`)?.claims).toEqual({ name: 'Zoë ✓' });
  });

  it.each([
    ['an empty string', ''],
    ['an opaque string', 'opaque-ticket-0123456789'],
    ['two parts', `${b64({ alg: 'HS256' })}.${b64({ sub: 'maggie' })}`],
    ['four parts', `${b64({ alg: 'HS256' })}.${b64({ sub: 'maggie' })}.x.y`],
    ['five parts (a JWE)', `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`],
    ['garbage parts', 'a.b.c'],
    ['an empty payload', `${b64({ alg: 'HS256' })}..x`],
    ['a payload that is not JSON', `${b64({ alg: 'HS256' })}.${b64('not json')}.x`],
    ['a payload that is a JSON array', `${b64({ alg: 'HS256' })}.${b64([1, 2])}.x`],
    ['a header that is a JSON string', `${b64('"HS256"')}.${b64({ sub: 'maggie' })}.x`],
    ['a null payload', `${b64({ alg: 'HS256' })}.${b64('null')}.x`],
    ['padding', `${b64({ alg: 'HS256' })}=.${b64({ sub: 'maggie' })}.x`],
    ['base64 rather than base64url characters', `${b64({ alg: 'HS256' })}.${b64({ sub: 'maggie' })}+/.x`],
    ['whitespace', ` ${b64({ alg: 'HS256' })}.${b64({ sub: 'maggie' })}.x`],
  ])('is null for %s', (_, token) => {
    expect(decodeCompactJws(token)).toBeNull();
  });
});

describe('decodeCompactJws (properties)', () => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jsonObject = fc.dictionary(fc.string(), fc.jsonValue());

  it('never throws, whatever the input', () => {
    fc.assert(fc.property(fc.string(), (input) => void decodeCompactJws(input)));
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 6 }), (parts) => void decodeCompactJws(parts.join('.'))));
  });

  it('returns exactly the header and claims that were encoded', () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, fc.base64String(), (header, claims, signature) => {
        const decoded = decodeCompactJws(`${part(header)}.${part(claims)}.${signature.replace(/[+/=]/g, '')}`);
        expect(decoded).toEqual({ header: JSON.parse(JSON.stringify(header)), claims: JSON.parse(JSON.stringify(claims)) });
      }),
    );
  });

  it('accepts nothing but three parts whose first two are JSON objects', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue().filter((value) => typeof value !== 'object' || value === null || Array.isArray(value))), jsonObject, (notObject, claims) => {
        expect(decodeCompactJws(`${part(notObject)}.${part(claims)}.sig`)).toBeNull();
        expect(decodeCompactJws(`${part(claims)}.${part(notObject)}.sig`)).toBeNull();
        expect(decodeCompactJws(`${part(claims)}.${part(claims)}`)).toBeNull();
        expect(decodeCompactJws(`${part(claims)}.${part(claims)}.a.b.c`)).toBeNull();
      }),
    );
  });
});
