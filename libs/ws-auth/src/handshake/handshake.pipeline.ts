import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { WsAuthAuditor } from '../audit/ws-auth-auditor.js';
import { bindSocket, HandshakeState, type WsConnection } from '../connection/ws-connection.js';
import { resolveSource } from '../extractors/credential-sources.js';
import { parseOfferedProtocols, readsOfferAgainst } from '../extractors/subprotocol.extractor.js';
import { GatewayPolicyExplorer } from '../gateways/gateway-policy.explorer.js';
import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';
import type { WsAuthInfo } from '../interfaces/ws-auth-info.interface.js';
import { FirstMessageAuthentication } from '../connection/first-message.authentication.js';
import { clientAddressOf } from '../connection/client-address.js';
import { ticketSource } from '../tickets/ticket.source.js';
import { TicketService } from '../tickets/ticket.service.js';
import { WS_AUTH_OPTIONS } from '../ws-auth.constants.js';
import { WsAuthError } from '../ws-auth.errors.js';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import { normalizePath } from '../gateways/normalize-path.js';
import { handshakeRejection, type HandshakeRejection } from './handshake-rejection.js';
import { CredentialJudge } from './credential-judge.js';
import { WS_SOCKET_TRANSPORT, type SocketTransport } from '../connection/socket-transport.js';
import { SubjectSocketCounter } from '../limits/subject-socket-counter.js';
import { checkSocketLimit } from '../ws-auth-options.resolver.js';
import type { ResolvedPolicy } from './resolved-policy.js';

/** What the transport answers: upgrade, or refuse with this HTTP answer. */
export type HandshakeAnswer = { readonly upgrade: true } | { readonly upgrade: false; readonly rejection: HandshakeRejection };

const UPGRADE: HandshakeAnswer = Object.freeze({ upgrade: true });

/**
 * The one way a handshake is decided. A transport adapter builds a
 * `WsConnection` for each upgrade request and runs it through these steps,
 * in order:
 *
 * 1. inspect: the offered subprotocols, read once, and their caps;
 * 2. extract: the one credential among the gateway's sources (and the Origin);
 * 3. verify, 4. revocation check: `CredentialJudge`;
 * 5. decide: upgrade (within the subject's `maxSocketsPerSubject`), pending
 *    (first-message gateways), accept-then-close, or reject;
 * 6. attach: the socket carries the record; the transport's lifecycle gives it
 *    its principal and admits it to the gateway;
 * 7. track: expiry and revocation, by the session registry.
 *
 * Nothing here knows the transport: `WsAuthAdapter` calls these steps, and a
 * Socket.IO adapter can call the same ones.
 */
@Injectable()
export class HandshakePipeline implements OnApplicationBootstrap {
  readonly realm: string;
  private readonly allowedOrigins?: ReadonlySet<string>;
  private readonly maxProtocols: number;
  /** The (port, path) pairs a transport adapter serves, authenticated or public. */
  private readonly served = new Set<string>();

  constructor(
    @Inject(WS_AUTH_OPTIONS) private readonly options: ResolvedWsAuthOptions,
    private readonly explorer: GatewayPolicyExplorer,
    private readonly tickets: TicketService,
    private readonly judge: CredentialJudge,
    private readonly auditor: WsAuthAuditor,
    private readonly firstMessage: FirstMessageAuthentication,
    private readonly sockets: SubjectSocketCounter,
  ) {
    this.realm = options.realm;
    this.allowedOrigins = options.allowedOrigins && new Set(options.allowedOrigins);
    this.maxProtocols = options.maxProtocols;
  }

  /**
   * The resolved policy of a server (a `ws` path, a Socket.IO namespace), or
   * `undefined` for a `@WsPublic()` one. Called by the adapter, once per server.
   */
  policyFor(port: number, path: string | undefined, transport: SocketTransport = WS_SOCKET_TRANSPORT): ResolvedPolicy | undefined {
    this.served.add(`${port} ${normalizePath(path)}`);
    const gateway = this.explorer.find(port, path);
    if (!gateway) {
      return undefined;
    }
    const protocols = gateway.policy.protocols ?? this.options.protocols;
    const specs = gateway.policy.sources ?? this.options.sources;
    const sources = specs.map((spec) =>
      // The ticket source needs the TicketService, which only DI can give.
      spec === 'ticket' ? ticketSource(this.tickets) : resolveSource(spec, protocols),
    );
    const maxSocketsPerSubject = gateway.policy.maxSocketsPerSubject ?? this.options.maxSocketsPerSubject;
    checkSocketLimit(gateway.policy.maxSocketsPerSubject, `${gateway.name}'s maxSocketsPerSubject`);
    return { gateway, protocols, sources, maxSocketsPerSubject, transport };
  }

  /**
   * Fails the bootstrap when a gateway marked protected is served by another
   * adapter: never open by mistake. Reading the gateways here also runs the
   * explorer's checks in an app whose gateways were never served.
   */
  onApplicationBootstrap(): void {
    const unserved = this.explorer
      .guardedGateways()
      .filter((gateway) => gateway.explicit && !this.served.has(`${gateway.port} ${gateway.path}`));
    if (unserved.length > 0) {
      const names = unserved.map((gateway) => gateway.name).join(', ');
      throw new WsAuthConfigurationError(
        `${names} ${unserved.length > 1 ? 'are' : 'is'} authenticated with @WsAuth() or WsAuthGuard, but the app's ` +
          'WebSocket adapter is not WsAuthAdapter (or WsAuthIoAdapter), so handshakes would not be authenticated. ' +
          'Call app.useWebSocketAdapter(new WsAuthAdapter(app)) (Socket.IO: new WsAuthIoAdapter(app)) before app.listen().',
      );
    }
  }

  /**
   * Step 1, synchronous: the adapter runs it before `ws` parses the offer,
   * because `ws` refuses a repeated protocol (the marker offered twice) with
   * a bare 400 that carries no `WWW-Authenticate`. Throws `WsAuthError`.
   */
  inspect(connection: WsConnection, request: IncomingMessage): void {
    const offered = parseOfferedProtocols(request, connection.policy.protocols);
    if (offered.offered.length > this.maxProtocols) {
      throw new WsAuthError('invalid_request', 'Too many subprotocols');
    }
    connection.handshake!.offered = offered;
  }

  /**
   * Steps 2 to 4: throws `WsAuthError` (or rejects with it); never returns
   * without a principal. Synchronous when every step is.
   */
  authenticate(connection: WsConnection, request: IncomingMessage): MaybePromise<WsAuthInfo> {
    const originAllowed = this.checkOrigin(connection.origin);
    let found: { source: WsCredentialSource; credential: string } | undefined;
    for (const source of connection.policy.sources) {
      if (source.ambient && !originAllowed) {
        // An ambient cookie proves nothing without an allowed Origin; it is not
        // even read, so a cookie another site tossed in cannot fail the handshake.
        continue;
      }
      // The offer was read once, by inspect: the built-in protocol source takes its token.
      const offered = connection.handshake?.offered;
      const credential =
        offered && readsOfferAgainst(source.extract, connection.policy.protocols) ? offered.token : source.extract(request);
      if (credential === null || credential === undefined) {
        continue;
      }
      if (found) {
        throw new WsAuthError('invalid_request', 'More than one credential was sent');
      }
      found = { source, credential };
    }
    if (!found) {
      throw new WsAuthError('missing_credential');
    }
    return this.judge.judge(found.credential, request, found.source);
  }

  /**
   * Step 5: runs steps 2 to 4 and decides. Never throws: every refusal is an
   * answer. Answers in the same tick when nothing outside the process is
   * asked, as `ws` itself does without `verifyClient`. `transport` emits
   * `close` when the connection ends, which gives its `maxSocketsPerSubject`
   * slot back: the upgrade request's TCP socket for `ws`; a transport whose
   * connection outlives one TCP socket (Engine.IO long-polling) passes its own.
   */
  decide(connection: WsConnection, request: IncomingMessage, transport: EventEmitter = request.socket): MaybePromise<HandshakeAnswer> {
    let outcome: MaybePromise<WsAuthInfo>;
    try {
      outcome = this.authenticate(connection, request);
    } catch (error) {
      return this.refused(connection, request, error);
    }
    if (isPromise(outcome)) {
      return outcome.then(
        (auth) => this.authenticated(connection, request, auth, transport),
        (error: unknown) => this.refused(connection, request, error),
      );
    }
    return this.authenticated(connection, request, outcome, transport);
  }

  /** A refusal answered before the `101`, audited; for step 1's throws and step 5's rejections. */
  reject(connection: WsConnection, error: unknown): HandshakeRejection {
    const refusal = WsAuthError.from(error, 'unavailable');
    const rejection = handshakeRejection(refusal, this.realm);
    this.auditor.handshake(connection, { type: 'handshake_refused', code: refusal.code, status: rejection.status });
    return rejection;
  }

  /**
   * A refusal before any gateway is known (Socket.IO's Engine.IO handshake
   * precedes the namespace), audited under the transport's own path.
   */
  rejectAt(path: string, origin: string | undefined, error: unknown): HandshakeRejection {
    const refusal = WsAuthError.from(error, 'unavailable');
    const rejection = handshakeRejection(refusal, this.realm);
    this.auditor.record({ type: 'handshake_refused', path, origin, code: refusal.code, status: rejection.status });
    return rejection;
  }

  /**
   * Step 6, once the transport has a socket: the socket carries the record
   * from now on, and the handshake's state is handed over (none, for a
   * request that skipped the steps: it is closed as refused). The transport's
   * lifecycle then admits it to the gateway with its principal, and the
   * session registry tracks it (step 7).
   */
  attach(socket: object, connection: WsConnection): HandshakeState {
    const state = connection.handshake ?? new HandshakeState();
    connection.handshake = undefined;
    bindSocket(socket, connection);
    return state;
  }

  /**
   * The subject's slot is taken in the same synchronous step as the check, so
   * concurrent handshakes of one subject cannot both take the last one.
   */
  private authenticated(connection: WsConnection, request: IncomingMessage, auth: WsAuthInfo, transport: EventEmitter): HandshakeAnswer {
    if (!this.sockets.take(connection, auth.subject, transport)) {
      return this.refused(connection, request, new WsAuthError('too_many_connections'));
    }
    const state = connection.handshake!;
    state.decision = 'authenticated';
    state.auth = auth;
    // Nothing reads an accepted handshake without a sink or metrics (the default
    // log leaves the happy path to the app): the event is not even built.
    if (this.auditor.recordsAccepted) {
      this.auditor.handshake(connection, {
        type: 'handshake_accepted',
        subject: auth.subject,
        sessionId: auth.sessionId,
        source: auth.source,
      });
    }
    return UPGRADE;
  }

  /** A refused credential: pending (first-message gateways), upgraded to be closed (`acceptThenClose`), or rejected. */
  private refused(connection: WsConnection, request: IncomingMessage, error: unknown): HandshakeAnswer {
    const refusal = WsAuthError.from(error, 'unavailable');
    const { firstMessage, acceptThenClose } = connection.policy.gateway.policy;
    if (refusal.code === 'missing_credential' && firstMessage) {
      // Read only for a socket that may wait: the cap on pending sockets is
      // per address. Node keeps the TCP peer's address on the socket once
      // asked, for the socket's whole life, so asking on every handshake
      // would cost every authenticated socket that memory (and a `getpeername` call).
      const state = connection.handshake!;
      state.clientAddress ??= clientAddressOf(request, this.options.clientAddressHeader);
      if (!this.firstMessage.acceptsPending(state.clientAddress)) {
        const tooMany = new WsAuthError('unavailable', 'Too many pending sockets');
        connection.handshake!.refusal = tooMany;
        return { upgrade: false, rejection: this.reject(connection, tooMany) };
      }
      connection.handshake!.decision = 'pending';
      this.auditor.handshake(connection, { type: 'handshake_pending' });
      return UPGRADE;
    }
    if (acceptThenClose && refusal.code !== 'origin_not_allowed') {
      const state = connection.handshake!;
      state.decision = 'refused';
      state.refusal = refusal;
      return UPGRADE; // audited with its close code when the socket is closed
    }
    connection.handshake!.refusal = refusal; // the code, for transports that answer with it (Socket.IO's connect_error)
    return { upgrade: false, rejection: this.reject(connection, refusal) };
  }

  /**
   * Part of step 2: `true` for an allowed Origin, `false` for none; throws
   * `origin_not_allowed` for a foreign one. Public for transports that judge
   * the Origin on a request of their own (Engine.IO's handshake) before the
   * gateway's credential.
   */
  checkOrigin(origin: string | undefined): boolean {
    if (origin === undefined) {
      return false; // a non-browser client: judged by its credential alone
    }
    if (!this.allowedOrigins) {
      return false; // any Origin may connect, but none makes an ambient credential trustworthy
    }
    if (!this.allowedOrigins.has(origin)) {
      throw new WsAuthError('origin_not_allowed');
    }
    return true;
  }
}
