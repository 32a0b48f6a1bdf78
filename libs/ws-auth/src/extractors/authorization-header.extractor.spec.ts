import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { WsAuthError } from '../ws-auth.errors.js';
import { fromAuthorizationHeader } from './authorization-header.extractor.js';
import { fakeUpgrade, thrownWsAuthError } from '../../../../test/support/fake-upgrade.js';


const extract = fromAuthorizationHeader();
const withAuthorization = (...values: string[]) => fakeUpgrade(values.flatMap((value) => ['Authorization', value]));

const thrown = thrownWsAuthError;

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

describe('fromAuthorizationHeader (RFC 6750 §2.1)', () => {
  it('returns the b64token of "Bearer <token>"', () => {
    expect(extract(withAuthorization('Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig'))).toBe('eyJhbGciOiJIUzI1NiJ9.e30.sig');
  });

  it.each(['bearer', 'BEARER', 'bEaReR'])('matches the scheme case-insensitively (%s)', (scheme) => {
    expect(extract(withAuthorization(`${scheme} abc`))).toBe('abc');
  });

  it.each([1, 2, 7])('accepts %i space(s) between the scheme and the token', (spaces) => {
    expect(extract(withAuthorization(`Bearer${' '.repeat(spaces)}abc`))).toBe('abc');
  });

  it('accepts every b64token character: letters, digits, "-", ".", "_", "~", "+", "/"', () => {
    const token = 'AZaz09-._~+/';
    expect(extract(withAuthorization(`Bearer ${token}`))).toBe(token);
  });

  it.each(['abc=', 'abc=='])('accepts trailing "=" padding (%s)', (token) => {
    expect(extract(withAuthorization(`Bearer ${token}`))).toBe(token);
  });

  it('reads the header name case-insensitively from rawHeaders', () => {
    expect(extract(fakeUpgrade(['AUTHORIZATION', 'Bearer abc']))).toBe('abc');
  });

  it('returns null when there is no Authorization header', () => {
    expect(extract(fakeUpgrade(['Host', 'localhost', 'Cookie', 'access_token=abc']))).toBeNull();
  });

  it.each(['Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Digest username="a"', 'BearerToken abc', 'Token abc'])(
    'ignores another scheme: "%s" -> null',
    (value) => {
      expect(extract(withAuthorization(value))).toBeNull();
    },
  );

  it.each(['Bearer', 'Bearer ', 'Bearer    '])('refuses Bearer with an empty token as invalid_token (%j)', (value) => {
    expect(thrown(() => extract(withAuthorization(value))).code).toBe('invalid_token');
  });

  it.each([
    ['a space inside the token', 'Bearer abc def'],
    ['"=" before the end', 'Bearer ab=c'],
    ['only padding', 'Bearer =='],
    ['a comma', 'Bearer abc,def'],
    ['a quoted string', 'Bearer "abc"'],
    ['an auth-param', 'Bearer token="abc"'],
    ['a non-ASCII letter', 'Bearer abcé'],
    ['a percent sign', 'Bearer abc%20'],
  ])('refuses Bearer with an invalid token as invalid_token (%s)', (_, value) => {
    expect(thrown(() => extract(withAuthorization(value))).code).toBe('invalid_token');
  });

  it('refuses two Authorization headers as invalid_request', () => {
    expect(thrown(() => extract(withAuthorization('Bearer abc', 'Bearer def'))).code).toBe('invalid_request');
  });

  it('refuses two Authorization headers even when they are identical', () => {
    expect(thrown(() => extract(withAuthorization('Bearer abc', 'Bearer abc'))).code).toBe('invalid_request');
  });

  it('refuses two Authorization headers even when one is another scheme', () => {
    expect(thrown(() => extract(withAuthorization('Basic YTpi', 'Bearer abc'))).code).toBe('invalid_request');
  });

  it('counts Authorization headers whatever the case of their names', () => {
    const request = fakeUpgrade(['authorization', 'Bearer abc', 'AUTHORIZATION', 'Bearer def']);
    expect(thrown(() => extract(request)).code).toBe('invalid_request');
  });

  it('keeps the credential out of the error message', () => {
    const value = 'Bearer secret-token,not-b64';
    expect(thrown(() => extract(withAuthorization(value))).message).not.toContain('secret-token');
  });

  describe('properties', () => {
    // What Node lets through as a header value: no CR, LF or NUL.
    const headerValue = fc.string({ unit: 'binary', maxLength: 40 }).map((value) => value.replace(/[\r\n\0]/g, ''));
    const bearerLike = fc
      .tuple(
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearerx'),
        fc.constantFrom('', ' ', '  ', '\t'),
        fc.oneof(fc.stringMatching(/^[A-Za-z0-9\-._~+/=]{0,12}$/), headerValue),
      )
      .map(([scheme, gap, rest]) => `${scheme}${gap}${rest}`);
    const headerName = fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'Cookie', 'X-Authorization');
    const rawHeaders = fc
      .array(fc.tuple(headerName, fc.oneof(bearerLike, headerValue)), { maxLength: 3 })
      .map((pairs) => pairs.flat());

    it('throws nothing but WsAuthError, and returns only the b64token of the one Bearer header', () => {
      fc.assert(
        fc.property(rawHeaders, (raw) => {
          let token: string | null;
          try {
            token = extract(fakeUpgrade(raw));
          } catch (error) {
            expect(error).toBeInstanceOf(WsAuthError);
            return;
          }
          const values = raw.filter((_, i) => i % 2 === 1 && raw[i - 1].toLowerCase() === 'authorization');
          if (token === null) {
            return;
          }
          expect(values).toHaveLength(1);
          const value = values[0].trim();
          expect(token).toMatch(B64TOKEN);
          expect(value.endsWith(token)).toBe(true);
          expect(value.slice(0, value.length - token.length)).toMatch(/^bearer +$/i);
        }),
        { numRuns: 500 },
      );
    });

    it('returns any b64token exactly as sent', () => {
      fc.assert(
        fc.property(
          fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,40}={0,2}$/),
          fc.constantFrom('Bearer', 'bearer', 'BEARER'),
          fc.integer({ min: 1, max: 4 }),
          (token, scheme, spaces) => {
            expect(extract(withAuthorization(`${scheme}${' '.repeat(spaces)}${token}`))).toBe(token);
          },
        ),
      );
    });
  });
});
