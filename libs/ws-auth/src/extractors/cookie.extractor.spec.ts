import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { WsAuthError } from '../ws-auth.errors.js';
import { fromCookie } from './cookie.extractor.js';
import { fakeUpgrade, thrownWsAuthError } from '../../../../test/support/fake-upgrade.js';

/** A minimal upgrade request sending each value as its own `Cookie` header. */
function withCookies(...values: string[]): IncomingMessage {
  return fakeUpgrade(values.flatMap((value) => ['Cookie', value]));
}

const thrown = thrownWsAuthError;

const extract = fromCookie('access_token');

describe('fromCookie', () => {
  it('returns the value of the cookie with that name', () => {
    expect(extract(withCookies('theme=dark; access_token=abc.def.ghi; lang=en'))).toBe('abc.def.ghi');
  });

  it('reads a cookie by the name it was given', () => {
    expect(fromCookie('sid')(withCookies('access_token=abc; sid=s-1'))).toBe('s-1');
  });

  it('strips the double quotes of a quoted value (RFC 6265 cookie-value)', () => {
    expect(extract(withCookies('access_token="abc.def"'))).toBe('abc.def');
  });

  it('keeps "=" inside the value (base64 padding)', () => {
    expect(extract(withCookies('access_token=YWJj=='))).toBe('YWJj==');
  });

  it('ignores the whitespace around pairs', () => {
    expect(extract(withCookies('theme=dark;   access_token=abc  ;lang=en'))).toBe('abc');
  });

  it('reads the cookie from any of several Cookie headers', () => {
    expect(extract(withCookies('theme=dark', 'access_token=abc'))).toBe('abc');
  });

  it('returns null when there is no Cookie header', () => {
    expect(extract(withCookies())).toBeNull();
  });

  it.each([
    ['other cookies only', 'theme=dark; lang=en'],
    ['a longer name that ends with the name', 'old_access_token=abc'],
    ['a longer name that starts with the name', 'access_token_old=abc'],
    ['the name in another case (cookie names are case-sensitive)', 'Access_Token=abc'],
    ['the name as a value', 'theme=access_token'],
    ['the name without "="', 'access_token'],
  ])('ignores %s -> null', (_, cookie) => {
    expect(extract(withCookies(cookie))).toBeNull();
  });

  it('refuses the cookie sent twice in one header as invalid_request', () => {
    expect(thrown(() => extract(withCookies('access_token=abc; access_token=def'))).code).toBe('invalid_request');
  });

  it('refuses the cookie sent twice even with the same value', () => {
    expect(thrown(() => extract(withCookies('access_token=abc; access_token=abc'))).code).toBe('invalid_request');
  });

  it('refuses the cookie sent in two Cookie headers as invalid_request', () => {
    expect(thrown(() => extract(withCookies('access_token=abc', 'access_token=def'))).code).toBe('invalid_request');
  });

  it('keeps the credential out of the error message', () => {
    const error = thrown(() => extract(withCookies('access_token=secret-1; access_token=secret-2')));
    expect(error.message).not.toMatch(/secret-/);
  });

  describe('properties', () => {
    const NAME = 'access_token';
    // RFC 6265 cookie-octet, plus "=" which values often carry.
    const cookieValue = fc.stringMatching(/^[!#-+\--:<-[\]-~]{1,16}$/);
    const cookieName = fc.constantFrom(NAME, 'theme', 'access_token_old', 'Access_Token', 'sid');
    const pair = fc.record({
      name: cookieName,
      value: cookieValue,
      quoted: fc.boolean(),
      space: fc.constantFrom('', ' ', '  '),
    });
    const headers = fc.array(fc.array(pair, { minLength: 1, maxLength: 4 }), { maxLength: 3 });

    it('finds exactly the cookies of that name, once, or refuses them as invalid_request', () => {
      fc.assert(
        fc.property(headers, (cookies) => {
          const values = cookies.map((pairs) =>
            pairs.map(({ name, value, quoted, space }) => `${space}${name}=${quoted ? `"${value}"` : value}`).join(';'),
          );
          const sent = cookies.flat().filter(({ name }) => name === NAME);
          if (sent.length > 1) {
            expect(thrown(() => extract(withCookies(...values))).code).toBe('invalid_request');
          } else {
            expect(extract(withCookies(...values))).toBe(sent.length === 1 ? sent[0].value : null);
          }
        }),
      );
    });

    it('throws nothing but WsAuthError, and returns only text a Cookie header carried after "name="', () => {
      const junk = fc.string({ unit: 'binary', maxLength: 30 }).map((value) => value.replace(/[\r\n\0]/g, ''));
      const piece = fc.oneof(junk, fc.constantFrom(`${NAME}=`, `${NAME}="`, '"', ';', '=', ' '));
      const header = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(''));
      fc.assert(
        fc.property(fc.array(header, { maxLength: 3 }), (values) => {
          let found: string | null;
          try {
            found = extract(withCookies(...values));
          } catch (error) {
            expect(error).toBeInstanceOf(WsAuthError);
            return;
          }
          if (found === null) {
            return;
          }
          expect(found.length).toBeGreaterThan(0);
          expect(found).not.toContain(';');
          // The value follows its own `name=` (and maybe a quote) inside one header.
          const carried = values.some((value) =>
            value.split(';').some((item) => {
              const eq = item.indexOf('=');
              return item.slice(0, eq).trim() === NAME && item.slice(eq + 1).includes(found as string);
            }),
          );
          expect(carried).toBe(true);
        }),
        { numRuns: 500 },
      );
    });
  });
});
