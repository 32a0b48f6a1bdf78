import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import { connectionOf as connectionOfSocket, WsConnection } from '../connection/ws-connection.js';
import { WsConnectionLifecycle } from '../connection/ws-connection.lifecycle.js';
import { HandshakePipeline, type HandshakeAnswer } from '../handshake/handshake.pipeline.js';
import type { ResolvedPolicy } from '../handshake/resolved-policy.js';
import { isPromise } from '../maybe-promise.js';
import { AUTH_EVENT, WS_AUTH_OPTIONS } from '../ws-auth.constants.js';
import { WsAuthError, type WsAuthErrorCode } from '../ws-auth.errors.js';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { getWsAuth } from '../ws-auth.state.js';
import type { WsAuthInfo } from '../interfaces/ws-auth-info.interface.js';
import { namespaceRequest, socketIoSources } from './handshake-auth.sources.js';
import { SOCKET_IO_TRANSPORT } from './socket-io.transport.js';

type NextFunction = (error?: Error) => void;
/** Engine.IO's connection: what `allowRequest` admitted, before any namespace. */
type EngineConnection = Socket['conn'];

/**
 * `IoAdapter` that runs every namespace connection of an authenticated
 * gateway through the same handshake pipeline as `WsAuthAdapter`. Socket.IO
 * decides in two places, and so does this adapter:
 *
 * - Engine.IO's `allowRequest`, on the HTTP handshake: a foreign `Origin`
 *   gets `403` and no Engine.IO session exists; so does a handshake past the
 *   cap on unauthenticated sessions (`maxPendingSockets`).
 * - Namespace middleware, on the CONNECT packet: its `auth` payload
 *   (`{ token }` or `{ ticket }`) and the handshake's `Authorization` header
 *   are judged together, so a client that sent two is told so; a refusal is
 *   a `connect_error` whose `message` and `data.code` are the refusal's code,
 *   which a browser can read (a refused WebSocket upgrade it cannot).
 *
 * A refused socket never reaches `handleConnection`. The time from the
 * transport opening to the namespace connection is bounded by the module's
 * `firstMessageTimeoutMs` (Socket.IO's `connectTimeout`). Expiry, revocation
 * and a bad refresh emit `auth_closed` `{ code, reason }`, then disconnect.
 *
 * Exported from `nestjs-ws-auth/socket.io`, not the main entry point, so an
 * app on `ws` alone neither installs nor loads `@nestjs/platform-socket.io`
 * and `socket.io` (optional peers).
 *
 * @example app.useWebSocketAdapter(new WsAuthIoAdapter(app));
 */
export class WsAuthIoAdapter extends IoAdapter {
  private readonly pipeline: HandshakePipeline;
  private readonly lifecycle: WsConnectionLifecycle;
  private readonly options: ResolvedWsAuthOptions;
  /** Engine.IO sessions whose namespace connection is not authenticated yet. */
  private readonly unauthenticated = new Set<EngineConnection>();
  /**
   * The principal of a namespace socket between the middleware that
   * authenticated it and its `connection` event (a later middleware may
   * still refuse it, and then it is never tracked).
   */
  private readonly admitted = new WeakMap<Socket, WsAuthInfo>();

  constructor(app: INestApplicationContext) {
    super(app);
    const pipeline = findProvider(app, HandshakePipeline);
    const lifecycle = findProvider(app, WsConnectionLifecycle);
    const options = findProvider<ResolvedWsAuthOptions>(app, WS_AUTH_OPTIONS);
    if (!pipeline || !lifecycle || !options) {
      throw new WsAuthConfigurationError('WsAuthIoAdapter needs WsAuthModule.forRoot() (or forRootAsync()) in the application');
    }
    this.pipeline = pipeline;
    this.lifecycle = lifecycle;
    this.options = options;
  }

  override create(port: number, options: Record<string, any> = {}): any {
    const created: Server | Namespace = super.create(port, options as Parameters<IoAdapter['create']>[1]);
    const namespace = typeof options.namespace === 'string' ? options.namespace : undefined;
    const policy = this.policyFor(port, namespace);
    if (!policy) {
      return created;
    }
    // A gateway without a namespace gets the server itself, whose namespace is `/`.
    this.guard('server' in created ? created : created.of('/'), policy);
    return created;
  }

  /**
   * Judges the Engine.IO handshake of every server this adapter makes: the
   * Origin, and the cap on sessions that have not authenticated a namespace.
   * A caller's own `allowRequest` is asked only after ours admits.
   */
  override createIOServer(port: number, options?: Partial<ServerOptions>): any {
    const ownAllowRequest = options?.allowRequest;
    const server: Server = super.createIOServer(port, {
      ...(options as ServerOptions),
      connectTimeout: options?.connectTimeout ?? this.options.firstMessageTimeoutMs,
      allowRequest: (request, callback) => {
        // Engine.IO is told exactly once per request: a second call would answer twice.
        const refusal = this.judgeEngineHandshake(request);
        if (refusal) {
          callback(refusal, false);
        } else if (ownAllowRequest) {
          ownAllowRequest(request, callback);
        } else {
          callback(null, true);
        }
      },
    });
    server.engine.on('connection', (connection: EngineConnection) => this.countUnauthenticated(connection));
    return server;
  }

  /** Authenticated sockets also answer `auth` (in-band refresh) through an acknowledgement; a gateway's own `auth` handler is not used. */
  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: any) => Observable<any>,
  ): void {
    if (!getWsAuth(socket)) {
      return super.bindMessageHandlers(socket, handlers, transform);
    }
    const refresh: MessageMappingProperties = {
      message: AUTH_EVENT,
      methodName: AUTH_EVENT,
      callback: (data: unknown) => this.refresh(socket, data),
      isAckHandledManually: false,
    };
    super.bindMessageHandlers(socket, [...handlers.filter((handler) => handler.message !== AUTH_EVENT), refresh], transform);
  }

  private policyFor(port: number, namespace: string | undefined): ResolvedPolicy | undefined {
    const policy = this.pipeline.policyFor(port, namespace, SOCKET_IO_TRANSPORT);
    return policy && { ...policy, sources: socketIoSources(policy.sources) };
  }

  private guard(namespace: Namespace, policy: ResolvedPolicy): void {
    namespace.use((socket, next) => this.authenticate(socket, policy, next));
    // Registered before Nest's own `connection` listener (bound after
    // `create` returns): the socket carries its principal in `handleConnection`.
    namespace.on('connection', (socket: Socket) => {
      const connection = connectionOfSocket(socket);
      const auth = this.admitted.get(socket);
      if (connection && auth) {
        this.admitted.delete(socket);
        this.unauthenticated.delete(socket.conn);
        this.lifecycle.track(socket, connection, auth, socket.request);
      }
    });
  }

  /** Returns a refusal message for `allowRequest`, or `undefined` to admit. */
  private judgeEngineHandshake(request: IncomingMessage): string | undefined {
    const path = request.url?.split('?')[0] ?? '/';
    const origin = request.headers.origin;
    let refusal: WsAuthError | undefined;
    try {
      this.pipeline.checkOrigin(origin);
    } catch (error) {
      refusal = WsAuthError.from(error, 'unavailable');
    }
    if (!refusal && this.unauthenticated.size >= this.options.maxPendingSockets) {
      refusal = new WsAuthError('unavailable', 'Too many unauthenticated sessions');
    }
    if (!refusal) {
      return undefined;
    }
    this.pipeline.rejectAt(path, origin, refusal); // audited; Engine.IO itself answers 403
    return refusal.code;
  }

  private countUnauthenticated(connection: EngineConnection): void {
    this.unauthenticated.add(connection);
    connection.once('close', () => this.unauthenticated.delete(connection));
  }

  /** Namespace middleware: the pipeline's steps 2 to 5 for the CONNECT packet. */
  private authenticate(socket: Socket, policy: ResolvedPolicy, next: NextFunction): void {
    const connection = new WsConnection(policy, socket.handshake.headers.origin);
    const request = namespaceRequest(socket.request, socket.nsp.name, socket.handshake.auth);
    const answer = (decision: HandshakeAnswer) => {
      const state = connection.handshake!;
      if (decision.upgrade && state.decision === 'authenticated') {
        this.admitted.set(socket, this.pipeline.attach(socket, connection).auth!);
        next();
        return;
      }
      // Socket.IO has no pending socket and no accept-then-close: every other outcome is a refusal.
      const code: WsAuthErrorCode = state.refusal?.code ?? 'missing_credential';
      if (decision.upgrade) {
        this.pipeline.reject(connection, state.refusal ?? new WsAuthError(code)); // not yet audited as refused
      }
      next(connectError(code));
    };
    // The Engine.IO connection outlives a long-polling request: its close frees a per-subject slot.
    const decided = this.pipeline.decide(connection, request, socket.conn);
    if (isPromise(decided)) {
      void decided.then(answer);
    } else {
      answer(decided);
    }
  }

  private async refresh(socket: Socket, data: unknown): Promise<unknown> {
    const outcome = await this.lifecycle.reauthenticate(socket, data);
    if (outcome === 'unavailable') {
      return { error: 'unavailable' };
    }
    if (!outcome) {
      return undefined; // closed: auth_closed said why
    }
    const expiresIn = outcome.expiresAt === undefined ? null : Math.max(0, Math.floor((outcome.expiresAt - Date.now()) / 1000));
    return { sub: outcome.subject, expires_in: expiresIn };
  }
}

/** The `connect_error` a refused client receives: `message` and `data.code` are the refusal's code, never a detail. */
function connectError(code: WsAuthErrorCode): Error & { data: { code: WsAuthErrorCode } } {
  return Object.assign(new Error(code), { data: { code } });
}

/**
 * Looked up through the module graph rather than `app.get()`: a failed
 * `app.get()` makes NestFactory's proxy exit the process instead of throwing.
 */
function findProvider<T>(app: INestApplicationContext, token: (abstract new (...args: any[]) => T) | symbol): T | undefined {
  for (const module of app.get(ModulesContainer).values()) {
    const instance = module.providers.get(token as never)?.instance;
    if (instance !== undefined && instance !== null) {
      return instance as T;
    }
  }
  return undefined;
}
