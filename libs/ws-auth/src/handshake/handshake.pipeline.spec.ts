import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { WsConnection } from '../connection/ws-connection.js';
import { fromQueryParameter } from '../extractors/query-parameter.extractor.js';
import type { GatewayPolicyExplorer, GuardedGateway } from '../gateways/gateway-policy.explorer.js';
import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';
import type { WsTokenVerifier, WsVerifiedToken } from '../interfaces/token-verifier.interface.js';
import type { WsAuthModuleOptions, WsAuthPolicy } from '../interfaces/ws-auth-options.interface.js';
import type { SessionStore } from '../sessions/session-store.interface.js';
import type { TicketService } from '../tickets/ticket.service.js';
import type { ResolvedPolicy } from './resolved-policy.js';
import { authenticateHandshake, handshakePipeline, inspectProtocols } from '../../../../test/support/handshake-steps.js';
import { WsAuthError } from '../ws-auth.errors.js';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import { fakeUpgrade } from '../../../../test/support/fake-upgrade.js';

const TOKEN = 'good.token.value';
const APP_ORIGIN = 'https://app.example';

const upgrade = (rawHeaders: string[] = [], url = '/chat') => fakeUpgrade(rawHeaders, url);
const bearer = (token = TOKEN) => ['Authorization', `Bearer ${token}`];
const protocol = (token = TOKEN) => ['Sec-WebSocket-Protocol', `access_token, ${token}`];
const cookie = (token = TOKEN) => ['Cookie', `access_token=${token}`];
const origin = (value = APP_ORIGIN) => ['Origin', value];

type Answer = (token: string) => WsVerifiedToken | null | Promise<WsVerifiedToken | null>;

/** A verifier that records the tokens it was asked about. */
class RecordingVerifier implements WsTokenVerifier {
  readonly calls: string[] = [];
  constructor(private readonly answer: Answer) {}
  async verify(token: string): Promise<WsVerifiedToken | null> {
    this.calls.push(token);
    return this.answer(token);
  }
}

const verified = (overrides: Partial<WsVerifiedToken> = {}): WsVerifiedToken => ({
  principal: { sub: 'maggie' },
  subject: 'maggie',
  ...overrides,
});
/** Knows TOKEN (or the one given), and nothing else. */
const knowing = (token = TOKEN, overrides: Partial<WsVerifiedToken> = {}) =>
  new RecordingVerifier((sent) => (sent === token ? verified(overrides) : null));

/** A session store with nothing revoked, or the answer given. */
const sessionStore = (isRevoked: SessionStore['isRevoked'] = async () => false) =>
  ({ isRevoked, publish: async () => undefined, subscribe: () => undefined }) as SessionStore;
/** No test here uses the ticket source, which alone needs the TicketService. */
const noTickets = {} as TicketService;

/**
 * The pipeline under test, with stand-ins for its collaborators: a
 * session store that revokes nothing (unless given `sessions`), and an
 * explorer that serves one guarded gateway, `/chat`, with `policy`.
 */
function setup(options: Partial<WsAuthModuleOptions> = {}, policy: WsAuthPolicy = {}, sessions = sessionStore()) {
  const gateway: GuardedGateway = { name: 'ChatGateway', port: 0, path: '/chat', policy, explicit: true };
  const explorer = { find: () => gateway, guardedGateways: () => [gateway] } as unknown as GatewayPolicyExplorer;
  const verifier = knowing();
  const pipeline = handshakePipeline({ verifiers: [verifier], ...options }, sessions, explorer, noTickets);
  const resolved = pipeline.policyFor(0, '/chat') as ResolvedPolicy;
  // As the adapter does: the subprotocols are inspected first, then the handshake judged.
  const handshake = async (request: IncomingMessage) => {
    return authenticateHandshake(pipeline, request, resolved);
  };
  return { pipeline, verifier, policy: resolved, handshake };
}

async function refusal(deciding: Promise<unknown>): Promise<WsAuthError> {
  try {
    await deciding;
  } catch (error) {
    expect(error).toBeInstanceOf(WsAuthError);
    return error as WsAuthError;
  }
  throw new Error('expected a WsAuthError, the handshake was accepted');
}

describe('HandshakePipeline', () => {
  describe('the Origin allowlist', () => {
    it('refuses a foreign Origin with origin_not_allowed, before looking at the credential', async () => {
      const { handshake, verifier } = setup({ allowedOrigins: [APP_ORIGIN] });
      const error = await refusal(handshake(upgrade([...origin('https://evil.example'), ...bearer()])));
      expect(error.code).toBe('origin_not_allowed');
      expect(verifier.calls).toEqual([]);
    });

    it('accepts an allowed Origin with a valid credential', async () => {
      const { handshake } = setup({ allowedOrigins: [APP_ORIGIN] });
      await expect(handshake(upgrade([...origin(), ...bearer()]))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it.each([
      ['another case', 'https://APP.example'],
      ['an explicit default port', 'https://app.example:443'],
      ['another scheme', 'http://app.example'],
      ['a trailing slash', 'https://app.example/'],
      ['the opaque origin "null"', 'null'],
    ])('matches the Origin exactly: %s is foreign', async (_, value) => {
      const { handshake } = setup({ allowedOrigins: [APP_ORIGIN] });
      expect((await refusal(handshake(upgrade([...origin(value), ...bearer()])))).code).toBe('origin_not_allowed');
    });

    it('judges a request without Origin (a non-browser client) by its credential alone', async () => {
      const { handshake } = setup({ allowedOrigins: [APP_ORIGIN] });
      await expect(handshake(upgrade(bearer()))).resolves.toMatchObject({ subject: 'maggie' });
      expect((await refusal(handshake(upgrade([])))).code).toBe('missing_credential');
    });

    it('lets any Origin connect when no allowlist is set', async () => {
      const { handshake } = setup();
      await expect(handshake(upgrade([...origin('https://anywhere.example'), ...bearer()]))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it.each(['http://a.com/', 'https://a.com:443', 'HTTPS://A.COM', 'https://a.com/app'])(
      'throws at construction for an allowlist entry that is not an origin (%s)',
      (entry) => {
        expect(() => setup({ allowedOrigins: [entry] })).toThrow(/is not an origin/);
      },
    );

    it.each(['a.com', '*'])('throws at construction for an allowlist entry that is no URL (%s)', (entry) => {
      expect(() => setup({ allowedOrigins: [entry] })).toThrow();
    });
  });

  describe('one credential', () => {
    it('authenticates a header credential, and selects no subprotocol', async () => {
      const { handshake, pipeline, policy } = setup();
      await expect(handshake(upgrade(bearer()))).resolves.toEqual({
        principal: { sub: 'maggie' },
        subject: 'maggie',
        sessionId: undefined,
        scopes: [],
        expiresAt: undefined,
        issuedAt: undefined,
        source: 'header',
      });
      expect(inspectProtocols(pipeline, upgrade(bearer()), policy).selected).toBe(false);
    });

    it('authenticates a subprotocol credential, and selects the marker rather than the token', async () => {
      const { handshake, pipeline, policy } = setup();
      await expect(handshake(upgrade(protocol()))).resolves.toMatchObject({ subject: 'maggie', source: 'protocol' });
      expect(inspectProtocols(pipeline, upgrade(protocol()), policy).selected).toBe('access_token');
    });

    it('refuses two credentials as invalid_request, without verifying either', async () => {
      const { handshake, verifier } = setup();
      expect((await refusal(handshake(upgrade([...bearer(), ...protocol()])))).code).toBe('invalid_request');
      expect(verifier.calls).toEqual([]);
    });

    it('refuses two credentials even when they are the same token', async () => {
      const { handshake } = setup({ sources: ['header', 'query'] });
      expect((await refusal(handshake(upgrade(bearer(), `/chat?access_token=${TOKEN}`)))).code).toBe('invalid_request');
    });

    it('answers missing_credential when no source carries one', async () => {
      const { handshake } = setup();
      expect((await refusal(handshake(upgrade(['Host', 'localhost'])))).code).toBe('missing_credential');
    });

    it('reads only the header and subprotocol sources by default: ?access_token= is ignored', async () => {
      const { handshake, verifier } = setup();
      expect((await refusal(handshake(upgrade([], `/chat?access_token=${TOKEN}`)))).code).toBe('missing_credential');
      expect(verifier.calls).toEqual([]);
    });

    it("takes the gateway's sources over the module's", async () => {
      const { handshake } = setup({ sources: ['header'] }, { sources: ['query'] });
      await expect(handshake(upgrade([], `/chat?access_token=${TOKEN}`))).resolves.toMatchObject({ source: 'query' });
      expect((await refusal(handshake(upgrade(bearer())))).code).toBe('missing_credential');
    });
  });

  describe('the ambient cookie', () => {
    const sources = ['cookie', 'header'] as const;

    it('is ignored without an allowlist, whatever the Origin', async () => {
      const { handshake, verifier } = setup({ sources: [...sources] });
      expect((await refusal(handshake(upgrade([...origin(), ...cookie()])))).code).toBe('missing_credential');
      expect(verifier.calls).toEqual([]);
    });

    it('is ignored without an Origin, even with an allowlist', async () => {
      const { handshake } = setup({ sources: [...sources], allowedOrigins: [APP_ORIGIN] });
      expect((await refusal(handshake(upgrade(cookie())))).code).toBe('missing_credential');
    });

    it('is honoured with an allowed Origin', async () => {
      const { handshake } = setup({ sources: [...sources], allowedOrigins: [APP_ORIGIN] });
      await expect(handshake(upgrade([...origin(), ...cookie()]))).resolves.toMatchObject({ subject: 'maggie', source: 'cookie' });
    });

    it('counts as a second credential with an allowed Origin', async () => {
      const { handshake } = setup({ sources: [...sources], allowedOrigins: [APP_ORIGIN] });
      expect((await refusal(handshake(upgrade([...origin(), ...cookie(), ...bearer()])))).code).toBe('invalid_request');
    });

    it('does not count as a second credential when it is ignored', async () => {
      const { handshake } = setup({ sources: [...sources] });
      await expect(handshake(upgrade([...cookie('other'), ...bearer()]))).resolves.toMatchObject({ source: 'header' });
    });

    it('cannot fail the handshake when it is ignored, even sent twice (cookie tossing)', async () => {
      const { handshake } = setup({ sources: [...sources] });
      const tossed = ['Cookie', 'access_token=a; access_token=b'];
      await expect(handshake(upgrade([...origin(), ...tossed, ...bearer()]))).resolves.toMatchObject({ source: 'header' });
    });
  });

  describe('caps before any work', () => {
    it('refuses a token longer than maxTokenLength as invalid_token without calling the verifier', async () => {
      const { handshake, verifier } = setup({ maxTokenLength: 16 });
      expect((await refusal(handshake(upgrade(bearer('a'.repeat(17)))))).code).toBe('invalid_token');
      expect(verifier.calls).toEqual([]);
    });

    it('verifies a token of exactly maxTokenLength', async () => {
      const token = 'a'.repeat(16);
      const verifier = knowing(token);
      const { handshake } = setup({ maxTokenLength: 16, verifiers: [verifier] });
      await expect(handshake(upgrade(bearer(token)))).resolves.toMatchObject({ subject: 'maggie' });
      expect(verifier.calls).toEqual([token]);
    });

    it('refuses a token over the 8 KiB default without calling the verifier', async () => {
      const { handshake, verifier } = setup();
      expect((await refusal(handshake(upgrade(bearer('a'.repeat(8 * 1024 + 1)))))).code).toBe('invalid_token');
      expect(verifier.calls).toEqual([]);
    });

    it('refuses more subprotocols than maxProtocols as invalid_request', () => {
      const { pipeline, policy } = setup({ maxProtocols: 3 });
      const request = upgrade(['Sec-WebSocket-Protocol', 'a, b, c, d']);
      expect(() => inspectProtocols(pipeline, request, policy)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    });
  });

  describe('the verifier chain', () => {
    it('takes the first verifier that recognises the token, and asks no further', async () => {
      const first = knowing(TOKEN, { subject: 'first' });
      const second = knowing(TOKEN, { subject: 'second' });
      const { handshake } = setup({ verifiers: [first, second] });
      await expect(handshake(upgrade(bearer()))).resolves.toMatchObject({ subject: 'first' });
      expect(second.calls).toEqual([]);
    });

    it('asks the verifiers in order until one answers', async () => {
      const order: string[] = [];
      const named = (name: string, answer: WsVerifiedToken | null) =>
        new RecordingVerifier(() => {
          order.push(name);
          return answer;
        });
      const { handshake } = setup({
        verifiers: [named('a', null), named('b', verified({ subject: 'b' })), named('c', verified({ subject: 'c' }))],
      });
      await expect(handshake(upgrade(bearer()))).resolves.toMatchObject({ subject: 'b' });
      expect(order).toEqual(['a', 'b']);
    });

    it('refuses a token no verifier recognises as invalid_token', async () => {
      const first = knowing('other');
      const second = knowing('another');
      const { handshake } = setup({ verifiers: [first, second] });
      expect((await refusal(handshake(upgrade(bearer())))).code).toBe('invalid_token');
      expect([first.calls, second.calls]).toEqual([[TOKEN], [TOKEN]]);
    });

    it('turns a plain Error thrown by a verifier into invalid_token', async () => {
      const failure = new Error('boom');
      const { handshake } = setup({
        verifiers: [
          new RecordingVerifier(() => {
            throw failure;
          }),
        ],
      });
      const error = await refusal(handshake(upgrade(bearer())));
      expect(error.code).toBe('invalid_token');
      expect(error.cause).toBe(failure);
    });

    it("keeps a verifier's WsAuthError('unavailable'): the handshake gets 503, not 401", async () => {
      const { handshake } = setup({
        verifiers: [
          new RecordingVerifier(() => {
            throw new WsAuthError('unavailable');
          }),
        ],
      });
      expect((await refusal(handshake(upgrade(bearer())))).code).toBe('unavailable');
    });

    it('refuses a verified token without a subject as invalid_token', async () => {
      const { handshake } = setup({ verifiers: [knowing(TOKEN, { subject: '' })] });
      expect((await refusal(handshake(upgrade(bearer())))).code).toBe('invalid_token');
    });

    it('answers unavailable when verification outlasts verifyTimeoutMs', async () => {
      const { handshake } = setup({
        verifyTimeoutMs: 50,
        verifiers: [new RecordingVerifier(() => new Promise<never>(() => undefined))],
      });
      expect((await refusal(handshake(upgrade(bearer())))).code).toBe('unavailable');
    });

    describe('answering at once, or later', () => {
      const atOnce: WsTokenVerifier = { verify: (token) => (token === TOKEN ? verified() : null) };

      it('decides in the same tick when the verifier and the store answer at once', () => {
        const { pipeline, policy } = setup({ verifiers: [atOnce] }, {}, sessionStore(() => false));
        const decided = authenticateHandshake(pipeline, upgrade(bearer()), policy);
        expect(decided).not.toBeInstanceOf(Promise);
        expect(decided).toMatchObject({ subject: 'maggie', source: 'header' });
      });

      it('throws at once, as a WsAuthError, what a verifier answering at once refuses', () => {
        const throwing: WsTokenVerifier = {
          verify: () => {
            throw new Error('bad signature');
          },
        };
        const { pipeline, policy } = setup({ verifiers: [throwing] }, {}, sessionStore(() => false));
        expect(() => authenticateHandshake(pipeline, upgrade(bearer()), policy)).toThrow(
          expect.objectContaining({ code: 'invalid_token' }),
        );
      });

      it('bounds a store that answers later with verifyTimeoutMs, after a verifier that answered at once', async () => {
        const hanging = sessionStore(() => new Promise<never>(() => undefined));
        const { pipeline, policy } = setup({ verifiers: [atOnce], verifyTimeoutMs: 50 }, {}, hanging);
        const decided = authenticateHandshake(pipeline, upgrade(bearer()), policy);
        expect(decided).toBeInstanceOf(Promise);
        expect((await refusal(decided as Promise<unknown>)).code).toBe('unavailable');
      });

      it('moves on from a verifier that answers null later to one that answers at once', async () => {
        const notMine = new RecordingVerifier(() => null);
        const { handshake } = setup({ verifiers: [notMine, atOnce] }, {}, sessionStore(() => false));
        await expect(handshake(upgrade(bearer()))).resolves.toMatchObject({ subject: 'maggie' });
        expect(notMine.calls).toEqual([TOKEN]);
      });
    });

    it('refuses a token the verifier reports as already expired', async () => {
      const { handshake } = setup({ verifiers: [knowing(TOKEN, { expiresAt: Date.now() - 1000 })] });
      expect((await refusal(handshake(upgrade(bearer())))).code).toBe('invalid_token');
    });

    it('keeps what the verifier reports: principal, subject, session, scopes, expiry', async () => {
      const expiresAt = Date.now() + 60_000;
      const { handshake } = setup({
        verifiers: [knowing(TOKEN, { principal: { id: 7 }, subject: 'maggie', sessionId: 's-1', scopes: ['chat:read'], expiresAt })],
      });
      await expect(handshake(upgrade(bearer()))).resolves.toEqual({
        principal: { id: 7 },
        subject: 'maggie',
        sessionId: 's-1',
        scopes: ['chat:read'],
        expiresAt,
        issuedAt: undefined,
        source: 'header',
      });
    });

    it('refuses a credential whose session the store reports revoked as invalid_token', async () => {
      const asked: unknown[] = [];
      const sessions = sessionStore(async (credential) => {
        asked.push(credential);
        return true;
      });
      const { handshake } = setup({ verifiers: [knowing(TOKEN, { sessionId: 's-1' })] }, {}, sessions);
      expect((await refusal(handshake(upgrade(bearer())))).code).toBe('invalid_token');
      expect(asked).toEqual([expect.objectContaining({ subject: 'maggie', sessionId: 's-1' })]);
    });

    it('answers unavailable when the session store cannot answer', async () => {
      const sessions = sessionStore(async () => {
        throw new WsAuthError('unavailable');
      });
      const { handshake } = setup({}, {}, sessions);
      expect((await refusal(handshake(upgrade(bearer())))).code).toBe('unavailable');
    });

    it("lets a source that resolves its own credential (a ticket) bypass the verifiers", async () => {
      const seen: string[] = [];
      const ticket: WsCredentialSource = {
        name: 'ticket',
        extract: fromQueryParameter('ticket'),
        authenticate: async (credential) => {
          seen.push(credential);
          return verified({ subject: 'ticket-holder' });
        },
      };
      const { handshake, verifier } = setup({}, { sources: [ticket] });
      await expect(handshake(upgrade([], '/chat?ticket=t-1'))).resolves.toMatchObject({ subject: 'ticket-holder', source: 'ticket' });
      expect(seen).toEqual(['t-1']);
      expect(verifier.calls).toEqual([]);
    });
  });

  describe('the client address', () => {
    /** An upgrade whose TCP socket counts the reads of its peer's address (Node keeps the answer on the socket for its life). */
    const upgradeFrom = (rawHeaders: string[]) => {
      const request = upgrade(rawHeaders);
      const socket = new EventEmitter();
      const reads = { count: 0 };
      Object.defineProperty(socket, 'remoteAddress', {
        get: () => {
          reads.count++;
          return '192.0.2.7';
        },
      });
      Object.assign(request, { socket });
      return { request, reads };
    };
    const decide = (setupResult: ReturnType<typeof setup>, request: IncomingMessage) => {
      const connection = new WsConnection(setupResult.policy, request.headers.origin);
      setupResult.pipeline.inspect(connection, request);
      return { connection, decided: setupResult.pipeline.decide(connection, request) };
    };
    const atOnce: WsTokenVerifier = { verify: (token) => (token === TOKEN ? verified() : null) };

    it('is not asked of an authenticated handshake', async () => {
      const { request, reads } = upgradeFrom(bearer());
      const { connection, decided } = decide(setup({ verifiers: [atOnce] }), request);
      expect(await decided).toMatchObject({ upgrade: true });
      expect(connection.handshake!.decision).toBe('authenticated');
      expect(reads.count).toBe(0);
    });

    it('is not asked of a refused credential', async () => {
      const { request, reads } = upgradeFrom(bearer('forged'));
      const { decided } = decide(setup({ verifiers: [atOnce] }, { firstMessage: true }), request);
      expect(await decided).toMatchObject({ upgrade: false });
      expect(reads.count).toBe(0);
    });

    it('is read once for a socket that may wait for its first message, and kept for the cap per address', async () => {
      const { request, reads } = upgradeFrom([]);
      const { connection, decided } = decide(setup({ verifiers: [atOnce] }, { firstMessage: true }), request);
      expect(await decided).toMatchObject({ upgrade: true });
      expect(connection.handshake!.decision).toBe('pending');
      expect(connection.handshake!.clientAddress).toBe('192.0.2.7');
      expect(reads.count).toBe(1);
    });
  });

  describe('construction', () => {
    it.each(['my "realm"', 'back\\slash', 'tab\there', 'réalm'])('throws for a realm that cannot sit in a quoted string (%j)', (realm) => {
      expect(() => setup({ realm })).toThrow(/realm must be printable ASCII/);
    });

    it('keeps a valid realm, "ws" by default', () => {
      expect(setup().pipeline.realm).toBe('ws');
      expect(setup({ realm: 'chat app' }).pipeline.realm).toBe('chat app');
    });

    it('throws without a verifier', () => {
      expect(() => setup({ verifiers: [] })).toThrow(/at least one verifier/);
    });
  });

  describe('onApplicationBootstrap', () => {
    it('throws when a gateway marked protected was never served by WsAuthAdapter', () => {
      const gateway: GuardedGateway = { name: 'FeedGateway', port: 0, path: '/feed', policy: {}, explicit: true };
      const explorer = { find: () => undefined, guardedGateways: () => [gateway] } as unknown as GatewayPolicyExplorer;
      const pipeline = handshakePipeline({ verifiers: [knowing()] }, sessionStore(), explorer, noTickets);
      expect(() => pipeline.onApplicationBootstrap()).toThrow(WsAuthConfigurationError);
      expect(() => pipeline.onApplicationBootstrap()).toThrow(/FeedGateway is authenticated with @WsAuth\(\) or WsAuthGuard, but the app's WebSocket adapter is not WsAuthAdapter/);
    });

    it('leaves a gateway protected only by default to the adapter that serves it', () => {
      const gateway: GuardedGateway = { name: 'OtherAdapterGateway', port: 0, path: '/io', policy: {}, explicit: false };
      const explorer = { find: () => undefined, guardedGateways: () => [gateway] } as unknown as GatewayPolicyExplorer;
      const pipeline = handshakePipeline({ verifiers: [knowing()] }, sessionStore(), explorer, noTickets);
      expect(() => pipeline.onApplicationBootstrap()).not.toThrow();
    });

    it('passes once every guarded gateway has been served', () => {
      const { pipeline } = setup();
      expect(() => pipeline.onApplicationBootstrap()).not.toThrow();
    });
  });
});
