import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { WebSocket } from 'ws';
import { bindRequest, connectionOfRequest, WsConnection } from './connection/ws-connection.js';
import { HandshakePipeline, type HandshakeAnswer } from './handshake/handshake.pipeline.js';
import type { HandshakeRejection } from './handshake/handshake-rejection.js';
import type { ResolvedPolicy } from './handshake/resolved-policy.js';
import { WsConnectionLifecycle } from './connection/ws-connection.lifecycle.js';
import { AUTH_EVENT, DEFAULT_MAX_PAYLOAD_BYTES } from './ws-auth.constants.js';
import { getWsAuth } from './ws-auth.state.js';
import { isPromise, type MaybePromise } from './maybe-promise.js';
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
 * What is `ws`'s lives here: where each request enters, how the answer is
 * written, when the socket reaches the gateway. What is decided lives in the
 * handshake pipeline, which a Socket.IO adapter runs too.
 *
 * @example app.useWebSocketAdapter(new WsAuthAdapter(app));
 */
export class WsAuthAdapter extends WsAdapter {
  private readonly pipeline: HandshakePipeline;
  private readonly lifecycle: WsConnectionLifecycle;

  constructor(app: INestApplicationContext, options?: WsAdapterOptions) {
    super(app, options);
    const pipeline = WsAuthAdapter.find(app, HandshakePipeline);
    const lifecycle = WsAuthAdapter.find(app, WsConnectionLifecycle);
    if (!pipeline || !lifecycle) {
      throw new WsAuthConfigurationError('WsAuthAdapter needs WsAuthModule.forRoot() (or forRootAsync()) in the application');
    }
    this.pipeline = pipeline;
    this.lifecycle = lifecycle;
  }

  override create(port: number, options: Record<string, any> = {}): any {
    const policy = this.pipeline.policyFor(port, options.path);
    if (!policy) {
      return super.create(port, options);
    }
    const server: GuardedServer = super.create(port, {
      maxPayload: DEFAULT_MAX_PAYLOAD_BYTES,
      ...options,
      verifyClient: (info: VerifyClientInfo, callback: VerifyClientCallback) => this.verifyHandshake(info.req, policy, callback),
      // Never let ws echo the first offered protocol: it may be the token.
      handleProtocols: (_: Set<string>, request: IncomingMessage) => connectionOfRequest(request)?.handshake?.offered?.selected ?? false,
    });
    this.inspectBeforeWs(server, policy);
    this.admitThroughLifecycle(server, policy);
    return server;
  }

  /** Authenticated sockets also answer in-band `auth` (refresh); a gateway's own `auth` handler is not used. */
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
   * Builds the connection record as the request arrives, and runs the
   * pipeline's synchronous first step before `ws` parses the request, so its
   * refusals carry `WWW-Authenticate` too: `ws` answers a repeated protocol
   * with a bare 400.
   */
  private inspectBeforeWs(server: GuardedServer, policy: ResolvedPolicy): void {
    const handleUpgrade = server.handleUpgrade.bind(server);
    server.handleUpgrade = (request, socket, head, callback) => {
      const connection = this.open(request, policy);
      try {
        this.pipeline.inspect(connection, request);
      } catch (error) {
        const { status, message, headers } = this.pipeline.reject(connection, error);
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
      // A record without a decision (none can be missing) is closed as refused.
      const connection = connectionOfRequest(request) ?? new WsConnection(policy, request.headers.origin);
      const handshake = this.pipeline.attach(socket, connection);
      this.lifecycle.admit(socket, connection, handshake, request, () => emit('connection', socket, request));
      return true;
    };
  }

  /** Answers `ws` in the same tick when the pipeline does; later when a store or an issuer has to answer. */
  private verifyHandshake(request: IncomingMessage, policy: ResolvedPolicy, callback: VerifyClientCallback): void {
    // Every request passed inspectBeforeWs; if one did not, it is inspected now rather than judged unread.
    let connection = connectionOfRequest(request);
    if (!connection) {
      connection = this.open(request, policy);
      try {
        this.pipeline.inspect(connection, request);
      } catch (error) {
        return answer(callback, { upgrade: false, rejection: this.pipeline.reject(connection, error) });
      }
    }
    const decided: MaybePromise<HandshakeAnswer> = this.pipeline.decide(connection, request);
    if (isPromise(decided)) {
      void decided.then((decision) => answer(callback, decision));
    } else {
      answer(callback, decided);
    }
  }

  private open(request: IncomingMessage, policy: ResolvedPolicy): WsConnection {
    const connection = new WsConnection(policy, request.headers.origin);
    bindRequest(request, connection);
    return connection;
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

function answer(callback: VerifyClientCallback, decision: HandshakeAnswer): void {
  if (decision.upgrade) {
    callback(true);
    return;
  }
  const { status, message, headers }: HandshakeRejection = decision.rejection;
  callback(false, status, message, headers);
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
