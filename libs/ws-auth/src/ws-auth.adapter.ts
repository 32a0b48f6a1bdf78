import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { WebSocket } from 'ws';
import { handshakeRejection, type HandshakeRejection } from './handshake-rejection.js';
import { WsAuthAuditor } from './audit/ws-auth-auditor.js';
import { WsConnectionLifecycle } from './sessions/ws-connection.lifecycle.js';
import { WsAuthenticator, type ResolvedPolicy } from './ws-auth.authenticator.js';
import { AUTH_EVENT } from './ws-auth.constants.js';
import { WsAuthError } from './ws-auth.errors.js';
import { getWsAuth, handshakeOutcomes } from './ws-auth.state.js';
import { isPromise, type MaybePromise } from './maybe-promise.js';
import type { WsAuthInfo } from './interfaces/ws-auth-info.interface.js';
import { WsAuthConfigurationError } from './ws-auth-configuration.error.js';

type WsAdapterOptions = ConstructorParameters<typeof WsAdapter>[1];
type VerifyClientCallback = (result: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;
interface VerifyClientInfo {
  origin: string;
  secure: boolean;
  req: IncomingMessage;
}
interface GuardedServer {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (client: WebSocket) => void): void;
  emit(event: string | symbol, ...args: any[]): boolean;
}

/**
 * `WsAdapter` that authenticates every upgrade to a gateway before the `101`,
 * through `ws`'s `verifyClient`: a refused request gets 400/401/403/503 and
 * never becomes a socket, so it never reaches `handleConnection`. Only
 * gateways marked `@WsPublic()` are served as `WsAdapter` serves them.
 *
 * @example app.useWebSocketAdapter(new WsAuthAdapter(app));
 */
export class WsAuthAdapter extends WsAdapter {
  private readonly authenticator: WsAuthenticator;
  private readonly lifecycle: WsConnectionLifecycle;
  private readonly auditor: WsAuthAuditor;

  constructor(app: INestApplicationContext, options?: WsAdapterOptions) {
    super(app, options);
    const authenticator = WsAuthAdapter.find(app, WsAuthenticator);
    const lifecycle = WsAuthAdapter.find(app, WsConnectionLifecycle);
    const auditor = WsAuthAdapter.find(app, WsAuthAuditor);
    if (!authenticator || !lifecycle || !auditor) {
      throw new WsAuthConfigurationError('WsAuthAdapter needs WsAuthModule.forRoot() (or forRootAsync()) in the application');
    }
    this.authenticator = authenticator;
    this.lifecycle = lifecycle;
    this.auditor = auditor;
  }

  override create(port: number, options: Record<string, any> = {}): any {
    const policy = this.authenticator.policyFor(port, options.path);
    if (!policy) {
      return super.create(port, options);
    }
    const server: GuardedServer = super.create(port, {
      ...options,
      verifyClient: (info: VerifyClientInfo, callback: VerifyClientCallback) =>
        void this.verifyHandshake(info.req, policy, callback),
      // Never let ws echo the first offered protocol: it may be the token.
      handleProtocols: (_: Set<string>, request: IncomingMessage) => this.selectedProtocol(request, policy),
    });
    this.inspectBeforeWs(server, policy);
    this.admitThroughLifecycle(server, policy);
    return server;
  }

  /** Guarded sockets also answer in-band `auth` (refresh); a gateway's own `auth` handler is not used. */
  override bindMessageHandlers(
    client: WebSocket,
    handlers: MessageMappingProperties[],
    transform: (data: any) => Observable<any>,
  ): void {
    if (!getWsAuth(client)) {
      return super.bindMessageHandlers(client, handlers, transform);
    }
    const refresh: MessageMappingProperties = {
      message: AUTH_EVENT,
      methodName: AUTH_EVENT,
      // Bound rather than an arrow function: it lives as long as the socket,
      // and a closure with its context is 32 bytes more per idle socket.
      callback: this.lifecycle.refresh.bind(this.lifecycle, client),
      isAckHandledManually: false,
    };
    super.bindMessageHandlers(client, [...handlers.filter((handler) => handler.message !== AUTH_EVENT), refresh], transform);
  }

  /**
   * Runs the synchronous checks (subprotocol caps and ambiguity) before `ws`
   * parses the request, so those refusals carry `WWW-Authenticate` too: `ws`
   * answers a repeated protocol with a bare 400.
   */
  private inspectBeforeWs(server: GuardedServer, policy: ResolvedPolicy): void {
    const handleUpgrade = server.handleUpgrade.bind(server);
    server.handleUpgrade = (request, socket, head, callback) => {
      try {
        this.authenticator.inspectProtocols(request, policy);
      } catch (error) {
        const { status, message, headers } = this.refuse(error, request, policy);
        writeRefusal(socket, status, message, headers);
        return;
      }
      handleUpgrade(request, socket, head, callback);
    };
  }

  /**
   * Withholds the server's `connection` event (what runs `handleConnection`
   * and binds handlers) until the socket is authenticated: a pending socket
   * reaches the gateway only after its `auth` frame, a refused one never.
   */
  private admitThroughLifecycle(server: GuardedServer, policy: ResolvedPolicy): void {
    const emit = server.emit.bind(server);
    server.emit = (event, ...args) => {
      if (event !== 'connection') {
        return emit(event, ...args);
      }
      const [socket, request] = args as [WebSocket, IncomingMessage];
      this.auditor.bind(socket, policy.gateway.path, request.headers.origin);
      this.lifecycle.admit(socket, request, handshakeOutcomes.get(request), policy.gateway.policy, () =>
        emit('connection', socket, request),
      );
      return true;
    };
  }

  /**
   * Answers `ws` in the same tick when the authentication needs nothing
   * outside the process, as `ws` itself does without `verifyClient`; later
   * when a store or an issuer has to answer.
   */
  private verifyHandshake(request: IncomingMessage, policy: ResolvedPolicy, callback: VerifyClientCallback): void {
    let outcome: MaybePromise<WsAuthInfo>;
    try {
      outcome = this.authenticator.authenticateHandshake(request, policy);
    } catch (error) {
      return this.decideRefused(error, request, policy, callback);
    }
    if (isPromise(outcome)) {
      outcome.then(
        (auth) => this.decideAuthenticated(auth, request, policy, callback),
        (error: unknown) => this.decideRefused(error, request, policy, callback),
      );
    } else {
      this.decideAuthenticated(outcome, request, policy, callback);
    }
  }

  private decideAuthenticated(auth: WsAuthInfo, request: IncomingMessage, policy: ResolvedPolicy, callback: VerifyClientCallback): void {
    handshakeOutcomes.set(request, { kind: 'authenticated', auth, protocol: this.selectedProtocol(request, policy) });
    this.auditor.record({
      type: 'handshake_accepted',
      path: policy.gateway.path,
      origin: request.headers.origin,
      subject: auth.subject,
      sessionId: auth.sessionId,
      source: auth.source,
    });
    callback(true);
  }

  /** A refused handshake: pending (first-message gateways), upgraded to be closed (`acceptThenClose`), or rejected. */
  private decideRefused(error: unknown, request: IncomingMessage, policy: ResolvedPolicy, callback: VerifyClientCallback): void {
    const refusal = WsAuthError.from(error, 'unavailable');
    const { firstMessage, acceptThenClose } = policy.gateway.policy;
    const protocol = this.selectedProtocol(request, policy);
    if (refusal.code === 'missing_credential' && firstMessage) {
      if (!this.lifecycle.acceptsPending()) {
        return this.reject(new WsAuthError('unavailable', 'Too many pending sockets'), request, policy, callback);
      }
      handshakeOutcomes.set(request, { kind: 'pending', protocol });
      this.auditor.record({ type: 'handshake_pending', path: policy.gateway.path, origin: request.headers.origin });
      return callback(true);
    }
    if (acceptThenClose && refusal.code !== 'origin_not_allowed') {
      handshakeOutcomes.set(request, { kind: 'refused', error: refusal, protocol });
      return callback(true); // audited with its close code when the socket is closed
    }
    this.reject(refusal, request, policy, callback);
  }

  /**
   * The protocol to answer with. The offer was read (and memoized) before ws
   * parsed the request, and refused there if it was bad: this is a lookup.
   */
  private selectedProtocol(request: IncomingMessage, policy: ResolvedPolicy): string | false {
    try {
      return this.authenticator.inspectProtocols(request, policy).selected;
    } catch {
      return false;
    }
  }

  private reject(error: unknown, request: IncomingMessage, policy: ResolvedPolicy, callback: VerifyClientCallback): void {
    const { status, message, headers } = this.refuse(error, request, policy);
    callback(false, status, message, headers);
  }

  private refuse(error: unknown, request: IncomingMessage, policy: ResolvedPolicy): HandshakeRejection {
    const refusal = WsAuthError.from(error, 'unavailable');
    const rejection = handshakeRejection(refusal, this.authenticator.realm);
    this.auditor.record({
      type: 'handshake_refused',
      path: policy.gateway.path,
      origin: request.headers.origin,
      code: refusal.code,
      status: rejection.status,
    });
    return rejection;
  }

  /**
   * Looked up through the module graph rather than `app.get()`: a failed
   * `app.get()` makes NestFactory's proxy exit the process instead of throwing.
   */
  private static find<T>(app: INestApplicationContext, type: abstract new (...args: any[]) => T): T | undefined {
    for (const module of app.get(ModulesContainer).values()) {
      const instance = module.providers.get(type)?.instance;
      if (instance instanceof type) {
        return instance;
      }
    }
    return undefined;
  }
}

/** The answer `ws` itself writes for a refused handshake (its `abortHandshake`). */
function writeRefusal(socket: Duplex, status: number, message: string, headers: Record<string, string>): void {
  const lines = Object.entries({
    Connection: 'close',
    'Content-Type': 'text/html',
    'Content-Length': String(Buffer.byteLength(message)),
    ...headers,
  }).map(([name, value]) => `${name}: ${value}`);
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('\r\n')}\r\n\r\n${message}`);
}
