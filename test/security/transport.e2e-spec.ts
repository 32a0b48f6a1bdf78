import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { JwtVerifier, TicketService } from 'nestjs-ws-auth';
import { startChatApp, TEST_SECRET, type RunningChatApp } from '../support/chat-app.js';
import { startTestApp, type RunningTestApp } from '../support/guarded-test-app.js';
import { ownClaims, signHs } from '../support/tokens.js';
import { nodeRefusesExcessHeaderFields } from '../support/node-header-limit.js';
import { allLines, Answer, bearer, expectAnswer, expectStillServes, login, sendUpgrade, SentCredentials, upgradesReaching, type ExpectedAnswer } from './catalogue.js';

/** What a case sends: a path (with its query) and the raw header list. */
interface Attempt {
  path: string;
  headers: Array<[string, string]>;
}
type Row = [name: string, make: () => Attempt | Promise<Attempt>, expected: ExpectedAnswer];

const b64 = (value: string) => Buffer.from(value).toString('base64url');
/** `count` headers that are each a few bytes: many headers, little weight. */
const tinyHeaders = (count: number): Array<[string, string]> => Array.from({ length: count }, () => ['x', '1']);

const refusesExcessHeaderFields = await nodeRefusesExcessHeaderFields();
/**
 * The answer to a request with more header fields than `maxHeadersCount`:
 * Node refuses it itself where it can. Node 20 instead hands the app the
 * first fields and drops the rest unseen, and the app answers what it saw.
 */
const overHeaderCount = (seenOnNode20: ExpectedAnswer): ExpectedAnswer => (refusesExcessHeaderFields ? Answer.refusedByNode : seenOnNode20);

/**
 * Catalogue of attacks on the upgrade request itself: size, header count,
 * subprotocol parsing (CVE-2021-32640), credentials sent twice, and the
 * edges of the `Authorization` syntax. Each case asserts the exact answer,
 * whether the request reached the app at all (a request Node refuses itself
 * never does, so it can get no socket), then that a legitimate client still
 * gets a socket and `whoami`.
 */
describe('security catalogue: the upgrade request', () => {
  const sent = new SentCredentials(TEST_SECRET);
  let chat: RunningChatApp;
  let library: RunningTestApp;

  beforeAll(async () => {
    chat = await startChatApp();
  });
  afterAll(async () => {
    await Promise.all([chat?.close(), library?.close()]);
  });

  describe('on the sample app (CONTRACT.md)', () => {
    let token: string;
    const ticket = async () => {
      const res = await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`).expect(200);
      return sent.add(res.body.ticket as string);
    };
    const chatPath = (query = '') => `/chat${query}`;

    beforeAll(async () => {
      token = sent.add(await login(chat.http));
    });

    const rows: Row[] = [
      // size and count
      ['a 100 KB bearer token (over Node’s 16 KiB header limit)', () => ({ path: chatPath(), headers: bearer(sent.add('a'.repeat(100 * 1024))) }), Answer.refusedByNode],
      ['a 100 KB token in the access_token subprotocol', () => ({ path: chatPath(), headers: [['Sec-WebSocket-Protocol', `access_token, ${sent.add('b'.repeat(100 * 1024))}`]] }), Answer.refusedByNode],
      ['a 12 KB bearer token (over maxTokenLength 8192, refused unverified)', () => ({ path: chatPath(), headers: bearer(sent.add(signHs(ownClaims({ pad: 'x'.repeat(9000) }), TEST_SECRET))) }), Answer.invalidToken],
      ['2,100 headers, the credential first', () => ({ path: chatPath(), headers: [...bearer(token), ...tinyHeaders(2100)] }), overHeaderCount(Answer.switched)],
      ['2,100 headers, the credential last (dropped unseen on Node 20: no credential)', () => ({ path: chatPath(), headers: [...tinyHeaders(2100), ...bearer(token)] }), overHeaderCount(Answer.bareChallenge)],
      // Node 20 drops the second credential before the app can see two: why Node 22 and 24 are the ones to run.
      ['2,100 headers between two credentials (the second dropped unseen on Node 20)', () => ({ path: chatPath(), headers: [...bearer(token), ...tinyHeaders(2100), ...bearer(token)] }), overHeaderCount(Answer.switched)],
      ['2,100 headers weighing over 16 KiB', () => ({ path: chatPath(), headers: [...bearer(token), ...Array.from({ length: 2100 }, (_, i): [string, string] => [`x-pad-${i}`, 'padding'])] }), Answer.refusedByNode],
      // subprotocol parsing (CVE-2021-32640: a regex that backtracked on spaces)
      ['CVE-2021-32640: "b" + 50,000 spaces + "b" as the subprotocol', () => ({ path: chatPath(), headers: [...bearer(token), ['Sec-WebSocket-Protocol', `b${' '.repeat(50_000)}b`]] }), Answer.refusedByNode],
      ['"b" + 12,000 spaces + "b", under the header limit: ws refuses it as no token list', () => ({ path: chatPath(), headers: [...bearer(token), ['Sec-WebSocket-Protocol', `b${' '.repeat(12_000)}b`]] }), Answer.malformedSubprotocols],
      ['"b," + 12,000 spaces + ",b": an empty list element', () => ({ path: chatPath(), headers: [...bearer(token), ['Sec-WebSocket-Protocol', `b,${' '.repeat(12_000)},b`]] }), Answer.malformedSubprotocols],
      ['12,000 spaces between access_token and the token (list whitespace): accepted', () => ({ path: chatPath(), headers: [['Sec-WebSocket-Protocol', `access_token,${' '.repeat(12_000)}${token}`]] }), Answer.switched],
      ['60 subprotocols', () => ({ path: chatPath(), headers: [...bearer(token), ['Sec-WebSocket-Protocol', Array.from({ length: 60 }, (_, i) => `p${i}`).join(', ')]] }), Answer.invalidRequest],
      ['17 subprotocols, one past maxProtocols', () => ({ path: chatPath(), headers: [...bearer(token), ['Sec-WebSocket-Protocol', Array.from({ length: 17 }, (_, i) => `p${i}`).join(', ')]] }), Answer.invalidRequest],
      // one credential per request, whatever the sources (each is valid alone)
      ['a bearer header and the access_token subprotocol', () => ({ path: chatPath(), headers: [...bearer(token), ['Sec-WebSocket-Protocol', `access_token, ${token}`]] }), Answer.invalidRequest],
      ['a bearer header and a ticket', async () => ({ path: chatPath(`?ticket=${await ticket()}`), headers: bearer(token) }), Answer.invalidRequest],
      ['the access_token subprotocol and a ticket', async () => ({ path: chatPath(`?ticket=${await ticket()}`), headers: [['Sec-WebSocket-Protocol', `access_token, ${token}`]] }), Answer.invalidRequest],
      ['two Authorization headers', () => ({ path: chatPath(), headers: [...bearer(token), ...bearer(token)] }), Answer.invalidRequest],
      ['access_token offered twice in one header', () => ({ path: chatPath(), headers: [['Sec-WebSocket-Protocol', `access_token, ${token}, access_token, ${token}`]] }), Answer.invalidRequest],
      ['two Sec-WebSocket-Protocol headers, each with the pair', () => ({ path: chatPath(), headers: [['Sec-WebSocket-Protocol', `access_token, ${token}`], ['Sec-WebSocket-Protocol', `access_token, ${token}`]] }), Answer.invalidRequest],
      ['both subprotocol forms', () => ({ path: chatPath(), headers: [['Sec-WebSocket-Protocol', `access_token, ${token}, base64url.bearer.${b64(token)}`]] }), Answer.invalidRequest],
      ['two base64url.bearer entries beside an application protocol', () => ({ path: chatPath(), headers: [['Sec-WebSocket-Protocol', `chat.v1, base64url.bearer.${b64(token)}, base64url.bearer.${b64(token)}`]] }), Answer.invalidRequest],
      ['?ticket= twice', async () => ({ path: chatPath(`?ticket=${await ticket()}&ticket=${await ticket()}`), headers: [] }), Answer.invalidRequest],
      ['a valid bearer header beside a junk ticket (ambiguity is judged before any credential)', () => ({ path: chatPath('?ticket=junk'), headers: bearer(token) }), Answer.invalidRequest],
      ['a bearer header and the subprotocol pair on /feed', () => ({ path: '/feed', headers: [...bearer(token), ['Sec-WebSocket-Protocol', `access_token, ${token}`]] }), Answer.invalidRequest],
      // the subprotocol forms' own syntax
      ['access_token offered with no token beside it', () => ({ path: chatPath(), headers: [['Sec-WebSocket-Protocol', 'access_token']] }), Answer.invalidRequest],
      ['base64url.bearer with no application protocol beside it (the token would be echoed)', () => ({ path: chatPath(), headers: [['Sec-WebSocket-Protocol', `base64url.bearer.${b64(token)}`]] }), Answer.invalidRequest],
      ['base64url.bearer whose payload is not base64url', () => ({ path: chatPath(), headers: [['Sec-WebSocket-Protocol', 'chat.v1, base64url.bearer.not+base64url']] }), Answer.invalidToken],
      // the Authorization syntax (RFC 6750 §2.1: "Bearer" 1*SP b64token)
      ['an empty bearer', () => ({ path: chatPath(), headers: [['Authorization', 'Bearer ']] }), Answer.invalidToken],
      ['the Basic scheme (not a bearer credential: no credential)', () => ({ path: chatPath(), headers: [['Authorization', 'Basic bWFnZ2llOnNlY3JldA==']] }), Answer.bareChallenge],
      ['lower-case "bearer" (schemes are case-insensitive)', () => ({ path: chatPath(), headers: [['Authorization', `bearer ${token}`]] }), Answer.switched],
      ['upper-case "BEARER"', () => ({ path: chatPath(), headers: [['Authorization', `BEARER ${token}`]] }), Answer.switched],
      ['two spaces after "Bearer" (1*SP)', () => ({ path: chatPath(), headers: [['Authorization', `Bearer  ${token}`]] }), Answer.switched],
      ['a tab instead of the space (not the Bearer syntax: read as another scheme, no credential)', () => ({ path: chatPath(), headers: [['Authorization', `Bearer\t${token}`]] }), Answer.bareChallenge],
      ['a token with a space inside', () => ({ path: chatPath(), headers: [['Authorization', `Bearer ${token.slice(0, 20)} ${token.slice(20)}`]] }), Answer.invalidToken],
      ['a bearer token and a Basic credential in one header', () => ({ path: chatPath(), headers: [['Authorization', `Bearer ${token}, Basic bWFnZ2llOnNlY3JldA==`]] }), Answer.invalidToken],
      ['?access_token= (the query source is off by default)', () => ({ path: chatPath(`?access_token=${token}`), headers: [] }), Answer.bareChallenge],
      // Origin (exact match)
      ['a valid token from a foreign Origin', () => ({ path: chatPath(), headers: [['Origin', 'http://evil.example'], ...bearer(token)] }), Answer.forbidden],
      ['a valid token from Origin "null" (a sandboxed page)', () => ({ path: chatPath(), headers: [['Origin', 'null'], ...bearer(token)] }), Answer.forbidden],
      ['a valid token from an allowed Origin spelled in upper case', () => ({ path: chatPath(), headers: [['Origin', chat.origin.toUpperCase()], ...bearer(token)] }), Answer.forbidden],
      ['a valid token from an allowed Origin with a trailing slash', () => ({ path: chatPath(), headers: [['Origin', `${chat.origin}/`], ...bearer(token)] }), Answer.forbidden],
    ];

    it.each(rows)('%s', async (_, make, expected) => {
      const { path, headers } = await make();
      const { answer, upgrades } = await upgradesReaching(chat.app.getHttpServer(), () => sendUpgrade(`${chat.ws}${path}`, headers));
      expectAnswer(answer, expected, token);
      expect(upgrades).toBe(expected.refusedByNode ? 0 : 1);
      await expectStillServes(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } }, { sub: 'maggie', source: 'header' });
    });
  });

  describe('on a small app with every source (ticket, header, protocol, cookie, query): one credential per request (the library)', () => {
    const SECRET = 'transport-catalogue-secret-0123456789abcdef';
    const ORIGIN = 'https://app.example.com';
    let token: string;
    let tickets: TicketService;
    /** Each source's way of carrying one valid credential. */
    const carry: Record<string, () => Promise<Attempt>> = {
      ticket: async () => {
        const { ticket } = await tickets.issue({ principal: {}, subject: 'maggie', expiresAt: Date.now() + 60_000 });
        return { path: `/secure?ticket=${sent.add(ticket)}`, headers: [] };
      },
      header: async () => ({ path: '/secure', headers: bearer(token) }),
      protocol: async () => ({ path: '/secure', headers: [['Sec-WebSocket-Protocol', `access_token, ${token}`]] }),
      cookie: async () => ({ path: '/secure', headers: [['Cookie', `access_token=${token}`]] }),
      query: async () => ({ path: `/secure?access_token=${token}`, headers: [] }),
    };
    /** Both requests' credentials in one request, always from the allowed Origin (so the cookie counts). */
    const together = async (...attempts: Attempt[]): Promise<Attempt> => {
      const queries = attempts.map(({ path }) => new URL(path, 'http://x').search.slice(1)).filter(Boolean);
      return { path: `/secure${queries.length ? `?${queries.join('&')}` : ''}`, headers: [['Origin', ORIGIN], ...attempts.flatMap(({ headers }) => headers)] };
    };
    const sources = Object.keys(carry);

    beforeAll(async () => {
      library = await startTestApp({
        auth: {
          allowedOrigins: [ORIGIN],
          sources: ['ticket', 'header', 'protocol', 'cookie', 'query'],
          tickets: {},
          verifiers: [new JwtVerifier({ secret: SECRET })],
        },
      });
      tickets = library.app.get(TicketService);
      sent.add(SECRET);
      token = sent.add(signHs(ownClaims(), SECRET));
    });

    const rows: Row[] = [
      ...sources.map((source): Row => [`${source} alone (the control: each credential is valid)`, async () => together(await carry[source]()), Answer.switched]),
      ...sources.flatMap((first, i) =>
        sources.slice(i + 1).map((second): Row => [`${first} and ${second}`, async () => together(await carry[first](), await carry[second]()), Answer.invalidRequest]),
      ),
      ...sources.map((source): Row => [`${source} twice`, async () => together(await carry[source](), await carry[source]()), Answer.invalidRequest]),
      ['a cookie and a header without Origin: the ambient cookie is not read, one credential', async () => ({ path: '/secure', headers: [['Cookie', `access_token=${token}`], ...bearer(token)] }), Answer.switched],
      ['a cookie alone without Origin: no credential', async () => ({ path: '/secure', headers: [['Cookie', `access_token=${token}`]] }), Answer.bareChallenge],
      ['a cookie from a foreign Origin', async () => ({ path: '/secure', headers: [['Origin', 'https://evil.example'], ['Cookie', `access_token=${token}`]] }), Answer.forbidden],
    ];

    it.each(rows)('%s', async (_, make, expected) => {
      const { path, headers } = await make();
      const { answer, upgrades } = await upgradesReaching(library.app.getHttpServer(), () => sendUpgrade(`${library.ws}${path}`, headers));
      expectAnswer(answer, expected, token);
      expect(upgrades).toBe(expected.refusedByNode ? 0 : 1);
      await expectStillServes(`${library.ws}/secure`, { headers: { Authorization: `Bearer ${token}` } }, expect.objectContaining({ subject: 'maggie', source: 'header' }));
    });
  });

  it('printed no credential in any log line of either app', () => {
    const captures = [chat.logs, library.logs];
    expect(allLines(...captures).filter((line) => line.includes('Handshake refused')).length).toBeGreaterThan(20);
    sent.audit(...captures);
  });
});
