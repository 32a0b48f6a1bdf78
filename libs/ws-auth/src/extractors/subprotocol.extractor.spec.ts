import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { WsAuthError } from '../ws-auth.errors.js';
import { fromSubprotocol, parseOfferedProtocols, readsOfferAgainst, type OfferedProtocols } from './subprotocol.extractor.js';
import { fakeUpgrade, thrownWsAuthError } from '../../../../test/support/fake-upgrade.js';

/** A minimal upgrade request offering each value as its own `Sec-WebSocket-Protocol` header. */
function offering(...values: string[]): IncomingMessage {
  return fakeUpgrade(values.flatMap((value) => ['Sec-WebSocket-Protocol', value]));
}

const thrown = thrownWsAuthError;

const b64url = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
const bearer = (token: string) => `base64url.bearer.${b64url(token)}`;
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWdnaWUifQ.c2lnbmF0dXJl';

describe('parseOfferedProtocols', () => {
  describe('the pair form: access_token, <token>', () => {
    it('takes the token beside the marker', () => {
      expect(parseOfferedProtocols(offering(`access_token, ${JWT}`))).toEqual({
        offered: ['access_token', JWT],
        token: JWT,
        selected: 'access_token',
      });
    });

    it('takes the token in either order', () => {
      const parsed = parseOfferedProtocols(offering(`${JWT}, access_token`));
      expect(parsed.token).toBe(JWT);
      expect(parsed.selected).toBe('access_token');
    });

    it('reads the pair across two Sec-WebSocket-Protocol headers', () => {
      const parsed = parseOfferedProtocols(offering('access_token', JWT));
      expect(parsed.token).toBe(JWT);
      expect(parsed.selected).toBe('access_token');
    });

    it('selects the marker, never the token', () => {
      expect(parseOfferedProtocols(offering(`${JWT}, access_token`)).selected).not.toBe(JWT);
    });

    it('never takes an application protocol for the token', () => {
      const parsed = parseOfferedProtocols(offering(`chat.v1, access_token, ${JWT}`), ['chat.v1']);
      expect(parsed.token).toBe(JWT);
      expect(parsed.selected).toBe('access_token');
    });

    it('refuses the marker beside only application protocols as invalid_request', () => {
      expect(thrown(() => parseOfferedProtocols(offering('access_token, chat.v1'), ['chat.v1'])).code).toBe('invalid_request');
    });

    it('refuses an unknown protocol beside the token as invalid_request (two token candidates)', () => {
      expect(thrown(() => parseOfferedProtocols(offering(`chat.v1, access_token, ${JWT}`))).code).toBe('invalid_request');
    });

    it('refuses the marker offered twice as invalid_request', () => {
      expect(thrown(() => parseOfferedProtocols(offering(`access_token, access_token, ${JWT}`))).code).toBe('invalid_request');
    });

    it('refuses the marker offered twice across headers as invalid_request', () => {
      expect(thrown(() => parseOfferedProtocols(offering(`access_token, ${JWT}`, 'access_token'))).code).toBe('invalid_request');
    });

    it('refuses two tokens beside the marker as invalid_request', () => {
      expect(thrown(() => parseOfferedProtocols(offering(`access_token, ${JWT}, other.token`))).code).toBe('invalid_request');
    });

    it('refuses the marker alone as invalid_request', () => {
      expect(thrown(() => parseOfferedProtocols(offering('access_token'))).code).toBe('invalid_request');
    });
  });

  describe('the single-entry form: base64url.bearer.<base64url(token)>', () => {
    it('decodes the token and selects the declared application protocol beside it', () => {
      expect(parseOfferedProtocols(offering(`chat.v1, ${bearer(JWT)}`), ['chat.v1'])).toEqual({
        offered: ['chat.v1', bearer(JWT)],
        token: JWT,
        selected: 'chat.v1',
      });
    });

    it('selects the application protocol whichever order they come in', () => {
      const parsed = parseOfferedProtocols(offering(`${bearer(JWT)}, chat.v1`), ['chat.v1']);
      expect(parsed.token).toBe(JWT);
      expect(parsed.selected).toBe('chat.v1');
    });

    it('selects nothing beside the bearer entry that the application does not declare', () => {
      const parsed = parseOfferedProtocols(offering(`chat.v1, ${bearer(JWT)}`));
      expect(parsed.token).toBe(JWT);
      expect(parsed.selected).toBe(false);
    });

    it('refuses the bearer entry alone as invalid_request (nothing to select but the token)', () => {
      expect(thrown(() => parseOfferedProtocols(offering(bearer(JWT)))).code).toBe('invalid_request');
    });

    it('refuses two bearer entries as invalid_request', () => {
      expect(thrown(() => parseOfferedProtocols(offering(`chat.v1, ${bearer(JWT)}, ${bearer('other')}`))).code).toBe(
        'invalid_request',
      );
    });

    it.each([
      ['empty', 'base64url.bearer.'],
      ['base64 "+"', 'base64url.bearer.ab+c'],
      ['base64 "/"', 'base64url.bearer.ab/c'],
      ['padding', 'base64url.bearer.YWJj='],
      ['a dot', 'base64url.bearer.YW.Jj'],
      ['a length no encoding has (4n+1)', 'base64url.bearer.YWJjZ'],
      ['a single character', 'base64url.bearer.A'],
      ['non-zero trailing bits (not canonical)', 'base64url.bearer.YR'],
      ['bytes that are not UTF-8', `base64url.bearer.${Buffer.from([0xff, 0xfe]).toString('base64url')}`],
    ])('refuses invalid base64url (%s) as invalid_token', (_, entry) => {
      expect(thrown(() => parseOfferedProtocols(offering(`chat.v1, ${entry}`))).code).toBe('invalid_token');
    });

    it('never selects a protocol that spells the token, even a declared one', () => {
      const parsed = parseOfferedProtocols(offering(`chat.v1, ${bearer('chat.v1')}`), ['chat.v1']);
      expect(parsed.token).toBe('chat.v1');
      expect(parsed.selected).toBe(false);
    });

    it('selects a declared application protocol other than the token', () => {
      const parsed = parseOfferedProtocols(offering(`chat.v1, chat.v2, ${bearer('chat.v1')}`), ['chat.v1', 'chat.v2']);
      expect(parsed.token).toBe('chat.v1');
      expect(parsed.selected).toBe('chat.v2');
    });
  });

  it('refuses both forms at once as invalid_request', () => {
    expect(thrown(() => parseOfferedProtocols(offering(`chat.v1, access_token, ${JWT}, ${bearer(JWT)}`))).code).toBe(
      'invalid_request',
    );
  });

  describe('without a credential', () => {
    it('selects the first offered protocol the application declares, and carries no token', () => {
      expect(parseOfferedProtocols(offering('chat.v3, chat.v2, chat.v1'), ['chat.v1', 'chat.v2'])).toEqual({
        offered: ['chat.v3', 'chat.v2', 'chat.v1'],
        token: null,
        selected: 'chat.v2',
      });
    });

    it('selects nothing the application does not declare: a JWT offered with a marker in the wrong case is not echoed', () => {
      const parsed = parseOfferedProtocols(offering(`${JWT}, Access_Token`));
      expect(parsed.token).toBeNull();
      expect(parsed.selected).toBe(false);
    });

    it('selects nothing when nothing is offered', () => {
      expect(parseOfferedProtocols(offering())).toEqual({ offered: [], token: null, selected: false });
    });

    it('drops empty entries and the whitespace around entries', () => {
      expect(parseOfferedProtocols(offering(' , chat.v1 ,, ')).offered).toEqual(['chat.v1']);
    });
  });

  it('keeps the credential out of error messages', () => {
    const error = thrown(() => parseOfferedProtocols(offering(`access_token, ${JWT}, ${JWT}`)));
    expect(error.message).not.toContain(JWT);
  });

  it('fromSubprotocol returns the token parseOfferedProtocols finds', () => {
    expect(fromSubprotocol(['chat.v1'])(offering(`chat.v1, access_token, ${JWT}`))).toBe(JWT);
    expect(fromSubprotocol()(offering('chat.v1'))).toBeNull();
  });

  describe('properties', () => {
    const APP = ['chat.v1', 'chat.v2'];
    const tokenChars = fc.stringMatching(/^[A-Za-z0-9\-._~+/=!#$%&'*^`|]{1,16}$/);
    // Entries an attacker could offer: markers, app protocols, tokens, bearer
    // entries (some encoding an app protocol or the marker), garbage bearer entries.
    const entry = fc.oneof(
      fc.constant('access_token'),
      fc.constantFrom(...APP),
      tokenChars,
      fc.oneof(tokenChars, fc.constantFrom(...APP, 'access_token')).map(bearer),
      fc.string({ maxLength: 8 }).map((rest) => `base64url.bearer.${rest}`),
      fc.string({ unit: 'binary', maxLength: 12 }),
    );
    const gap = fc.constantFrom('', ' ', '  ');
    const headerValues = fc
      .array(fc.array(fc.tuple(gap, entry, gap), { maxLength: 4 }), { maxLength: 3 })
      .map((headers) => headers.map((entries) => entries.map(([before, value, after]) => `${before}${value}${after}`).join(',')));

    /** What a client really offered: every comma-separated, trimmed, non-empty entry. */
    const entriesOf = (values: string[]) =>
      values.flatMap((value) => value.split(',')).map((item) => item.trim()).filter((item) => item.length > 0);

    function parsedOrWsAuthError(values: string[]): OfferedProtocols | undefined {
      try {
        return parseOfferedProtocols(offering(...values), APP);
      } catch (error) {
        expect(error).toBeInstanceOf(WsAuthError);
        return undefined;
      }
    }

    it('throws nothing but WsAuthError', () => {
      fc.assert(fc.property(headerValues, (values) => void parsedOrWsAuthError(values)), { numRuns: 1000 });
    });

    it('never selects the token, and selects only something offered that the server speaks', () => {
      fc.assert(
        fc.property(headerValues, (values) => {
          const parsed = parsedOrWsAuthError(values);
          if (!parsed) {
            return;
          }
          expect(parsed.selected).not.toBe(parsed.token);
          if (parsed.selected !== false) {
            expect(entriesOf(values)).toContain(parsed.selected);
            expect(['access_token', ...APP]).toContain(parsed.selected);
            expect(parsed.selected.startsWith('base64url.bearer.')).toBe(false);
          }
        }),
        { numRuns: 1000 },
      );
    });

    it('never invents a token: it is the one entry beside the marker, or the exact decoding of the one bearer entry', () => {
      fc.assert(
        fc.property(headerValues, (values) => {
          const parsed = parsedOrWsAuthError(values);
          if (!parsed || parsed.token === null) {
            return;
          }
          const entries = entriesOf(values);
          expect(parsed.offered).toEqual(entries);
          const token = parsed.token;
          if (parsed.selected === 'access_token') {
            expect(entries.filter((item) => item === 'access_token')).toHaveLength(1);
            expect(entries).toContain(token);
            expect(APP).not.toContain(token);
            expect(token.startsWith('base64url.bearer.')).toBe(false);
          } else {
            expect(entries.filter((item) => item.startsWith('base64url.bearer.'))).toEqual([bearer(token)]);
          }
        }),
        { numRuns: 1000 },
      );
    });

    it('finds any token offered in the pair form, in any position', () => {
      fc.assert(
        fc.property(
          tokenChars.filter((token) => token !== 'access_token' && !APP.includes(token)),
          fc.subarray(APP),
          fc.nat(),
          (token, app, at) => {
            const entries = [...app];
            entries.splice(at % (entries.length + 1), 0, token);
            entries.splice((at >> 3) % (entries.length + 1), 0, 'access_token');
            const parsed = parseOfferedProtocols(offering(entries.join(', ')), APP);
            expect(parsed.token).toBe(token);
            expect(parsed.selected).toBe('access_token');
          },
        ),
      );
    });

    it('decodes any UTF-8 token offered in the bearer form exactly', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), (token) => {
          fc.pre(!APP.includes(token));
          const parsed = parseOfferedProtocols(offering(`chat.v1, ${bearer(token)}`), APP);
          expect(parsed.token).toBe(token);
          expect(parsed.selected).toBe('chat.v1');
        }),
      );
    });
  });
});

describe('readsOfferAgainst', () => {
  it('knows the extractors fromSubprotocol made, and the application protocols they read against', () => {
    const app = ['chat.v1'];
    const extract = fromSubprotocol(app);
    expect(readsOfferAgainst(extract, app)).toBe(true);
    expect(readsOfferAgainst(extract, ['chat.v1'])).toBe(false);
    expect(readsOfferAgainst(() => null, app)).toBe(false);
  });
});
