import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { WsAuthError } from '../ws-auth.errors.js';
import { fromQueryParameter } from './query-parameter.extractor.js';
import { thrownWsAuthError } from '../../../../test/support/fake-upgrade.js';

/** A minimal upgrade request for a request target. */
function to(url: string | undefined): IncomingMessage {
  return { headers: {}, rawHeaders: [], url } as unknown as IncomingMessage;
}

const thrown = thrownWsAuthError;

const extract = fromQueryParameter('access_token');

describe('fromQueryParameter', () => {
  it('returns the value of the parameter', () => {
    expect(extract(to('/chat?access_token=abc.def.ghi'))).toBe('abc.def.ghi');
  });

  it('reads the parameter by the name it was given', () => {
    expect(fromQueryParameter('ticket')(to('/chat?access_token=abc&ticket=t-1'))).toBe('t-1');
  });

  it('percent-decodes the value', () => {
    expect(extract(to('/chat?access_token=a%2Bb%2Fc%3D%3D'))).toBe('a+b/c==');
  });

  it('decodes "+" as a space, as form encoding (and passport-jwt) do', () => {
    expect(extract(to('/chat?access_token=a+b'))).toBe('a b');
  });

  it('decodes percent-encoded UTF-8', () => {
    expect(extract(to('/chat?access_token=caf%C3%A9'))).toBe('café');
  });

  it('ignores the fragment', () => {
    expect(extract(to('/chat?access_token=abc#access_token=def'))).toBe('abc');
  });

  it.each([
    ['no query', '/chat'],
    ['an empty query', '/chat?'],
    ['other parameters only', '/chat?ticket=t-1&room=1'],
    ['a longer name', '/chat?access_token_old=abc'],
    ['the name in another case', '/chat?Access_Token=abc'],
    ['the name in the path', '/access_token=abc'],
    ['no URL at all', undefined],
  ])('returns null for %s', (_, url) => {
    expect(extract(to(url))).toBeNull();
  });

  it('refuses a repeated parameter as invalid_request', () => {
    expect(thrown(() => extract(to('/chat?access_token=abc&access_token=def'))).code).toBe('invalid_request');
  });

  it('refuses a repeated parameter even with the same value', () => {
    expect(thrown(() => extract(to('/chat?access_token=abc&access_token=abc'))).code).toBe('invalid_request');
  });

  it('refuses a repeated parameter even when one copy is empty', () => {
    expect(thrown(() => extract(to('/chat?access_token=&access_token=abc'))).code).toBe('invalid_request');
  });

  it('counts a percent-encoded name as the same parameter', () => {
    expect(thrown(() => extract(to('/chat?access_token=abc&access%5Ftoken=def'))).code).toBe('invalid_request');
  });

  it.each(['/chat?access_token=', '/chat?access_token', '/chat?room=1&access_token=&x=2'])(
    'refuses an empty parameter as invalid_token (%s)',
    (url) => {
      expect(thrown(() => extract(to(url))).code).toBe('invalid_token');
    },
  );

  it.each(['//[?access_token=abc', '/\\[?access_token=abc', 'http://a b/?access_token=abc'])(
    'refuses a request target that is no URL as invalid_request (%s)',
    (url) => {
      expect(thrown(() => extract(to(url))).code).toBe('invalid_request');
    },
  );

  it('keeps the credential out of the error message', () => {
    const error = thrown(() => extract(to('/chat?access_token=secret-1&access_token=secret-2')));
    expect(error.message).not.toMatch(/secret-/);
  });

  describe('properties', () => {
    const NAME = 'access_token';

    /** WHATWG application/x-www-form-urlencoded decoding of one name or value, written out independently. */
    function formDecode(text: string): string {
      const bytes = Buffer.from(text.replace(/\+/g, ' '), 'utf8');
      const out: number[] = [];
      const hex = (byte: number | undefined) => byte !== undefined && /[0-9A-Fa-f]/.test(String.fromCharCode(byte));
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 0x25 && hex(bytes[i + 1]) && hex(bytes[i + 2])) {
          out.push(parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16));
          i += 2;
        } else {
          out.push(bytes[i]);
        }
      }
      return new TextDecoder('utf-8', { ignoreBOM: true }).decode(Uint8Array.from(out));
    }

    /** The values a request target really carries for NAME: its query, split by hand. */
    function carriedValues(url: string): string[] {
      // The URL parser drops tabs and newlines, and C0 controls and spaces at either end.
      const target = url.replace(/[\t\n\r]/g, '').replace(/^[\0- ]+|[\0- ]+$/g, '');
      const beforeFragment = target.split('#')[0];
      const at = beforeFragment.indexOf('?');
      const query = at < 0 ? '' : beforeFragment.slice(at + 1);
      return query
        .split('&')
        .filter((item) => item.length > 0)
        .map((item) => (item.includes('=') ? [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)] : [item, '']))
        .filter(([name]) => formDecode(name) === NAME)
        .map(([, value]) => formDecode(value));
    }

    it('finds exactly the parameter of that name, or refuses it', () => {
      const parameter = fc.record({
        name: fc.constantFrom(NAME, 'access%5Ftoken', 'ticket', 'access_token_old', 'room'),
        value: fc.string({ unit: 'binary', maxLength: 20 }),
      });
      fc.assert(
        fc.property(fc.array(parameter, { maxLength: 4 }), (parameters) => {
          const url = `/chat?${parameters.map(({ name, value }) => `${name}=${encodeURIComponent(value)}`).join('&')}`;
          const sent = parameters.filter(({ name }) => formDecode(name) === NAME).map(({ value }) => value);
          if (sent.length > 1) {
            expect(thrown(() => extract(to(url))).code).toBe('invalid_request');
          } else if (sent.length === 1 && sent[0] === '') {
            expect(thrown(() => extract(to(url))).code).toBe('invalid_token');
          } else {
            expect(extract(to(url))).toBe(sent.length === 1 ? sent[0] : null);
          }
        }),
        { numRuns: 500 },
      );
    });

    it('throws nothing but WsAuthError, and returns only the decoding of a value the query carried', () => {
      const piece = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 10 }),
        fc.constantFrom(`${NAME}=`, 'access%5Ftoken=', '?', '&', '=', '#', '%', '%2', '+', '/', '\\', '//', '[', ' ', '\t'),
      );
      const url = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join(''));
      fc.assert(
        fc.property(url, (target) => {
          let found: string | null;
          try {
            found = extract(to(target));
          } catch (error) {
            expect(error).toBeInstanceOf(WsAuthError);
            return;
          }
          if (found !== null) {
            expect(found.length).toBeGreaterThan(0);
            expect(carriedValues(target)).toEqual([found]);
          }
        }),
        { numRuns: 1000 },
      );
    });
  });
});
