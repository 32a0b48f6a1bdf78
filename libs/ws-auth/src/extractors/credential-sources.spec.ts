import type { IncomingMessage } from 'node:http';
import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';
import { resolveSource, WsSources } from './credential-sources.js';
import { rawHeaderValues } from './raw-header-values.js';
import { fakeUpgrade } from '../../../../test/support/fake-upgrade.js';

const upgrade = (rawHeaders: string[], url = '/'): IncomingMessage => fakeUpgrade(rawHeaders, url);

describe('rawHeaderValues', () => {
  it('returns every value of a header, in order, whatever the case of its name', () => {
    const request = upgrade(['Cookie', 'a=1', 'Host', 'h', 'COOKIE', 'b=2', 'cookie', 'c=3']);
    expect(rawHeaderValues(request, 'Cookie')).toEqual(['a=1', 'b=2', 'c=3']);
  });

  it('never takes a value for a name', () => {
    expect(rawHeaderValues(upgrade(['X-Note', 'authorization', 'Host', 'h']), 'authorization')).toEqual([]);
  });

  it('returns nothing for a request without rawHeaders', () => {
    expect(rawHeaderValues({ headers: {} } as unknown as IncomingMessage, 'authorization')).toEqual([]);
  });
});

describe('WsSources and resolveSource', () => {
  it('marks the cookie source ambient, and only it: cookies need an allowed Origin', () => {
    expect(WsSources.cookie().ambient).toBe(true);
    expect([WsSources.header(), WsSources.protocol(), WsSources.query()].map((source) => source.ambient ?? false)).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('names each built-in source after itself', () => {
    expect(['header', 'protocol', 'cookie', 'query'].map((name) => resolveSource(name as never).name)).toEqual([
      'header',
      'protocol',
      'cookie',
      'query',
    ]);
  });

  it('reads the access_token cookie and query parameter by default', () => {
    expect(resolveSource('cookie').extract(upgrade(['Cookie', 'access_token=c']))).toBe('c');
    expect(resolveSource('query').extract(upgrade([], '/?access_token=q'))).toBe('q');
  });

  it('gives the protocol source the application protocols, so they are never taken for a token', () => {
    const request = upgrade(['Sec-WebSocket-Protocol', 'chat.v1, access_token, tok']);
    expect(resolveSource('protocol', ['chat.v1']).extract(request)).toBe('tok');
    expect(() => resolveSource('protocol').extract(request)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('passes a source object through as it is', () => {
    const custom: WsCredentialSource = { name: 'legacy', extract: () => 'x' };
    expect(resolveSource(custom)).toBe(custom);
  });

  it('throws for an unknown source name', () => {
    expect(() => resolveSource('pigeon' as never)).toThrow(/unknown credential source "pigeon"/);
  });

  it('leaves the ticket source to WsAuthenticator, which holds the TicketService', () => {
    expect(() => resolveSource('ticket')).toThrow(/resolved by WsAuthenticator/);
  });
});
