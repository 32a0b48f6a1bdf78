import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import type { OfferedProtocols } from './extractors/subprotocol.extractor.js';
import { handshakeRejection, type HandshakeRejection } from './handshake-rejection.js';
import { WsAuthenticator, type ResolvedPolicy } from './ws-auth.authenticator.js';
import { WsAuthError } from './ws-auth.errors.js';
import { handshakeOutcomes, setWsAuth } from './ws-auth.state.js';

type WsAdapterOptions = ConstructorParameters<typeof WsAdapter>[1];
type VerifyClientCallback = (result: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;
interface VerifyClientInfo {
  origin: string;
  secure: boolean;
  req: IncomingMessage;
}

/** Closes a socket that reached the server without a handshake decision (should not happen). */
const CLOSE_UNAUTHENTICATED = 4401;

/**
 * `WsAdapter` that authenticates every upgrade to a gateway guarded with
 * `WsAuthGuard` before the `101`, through `ws`'s `verifyClient`: a refused
 * request gets 400/401/403/503 and never becomes a socket, so it never
 * reaches `handleConnection`. Gateways without the guard are served as
 * `WsAdapter` serves them.
 *
 * @example app.useWebSocketAdapter(new WsAuthAdapter(app));
 */
export class WsAuthAdapter extends WsAdapter {
  private readonly authenticator: WsAuthenticator;

  constructor(app: INestApplicationContext, options?: WsAdapterOptions) {
    super(app, options);
    const authenticator = WsAuthAdapter.findAuthenticator(app);
    if (!authenticator) {
      throw new Error('ws-auth: WsAuthAdapter needs WsAuthModule.forRoot() (or forRootAsync()) in the application');
    }
    this.authenticator = authenticator;
  }

  /**
   * Looked up through the module graph rather than `app.get()`: a failed
   * `app.get()` makes NestFactory's proxy exit the process instead of throwing.
   */
  private static findAuthenticator(app: INestApplicationContext): WsAuthenticator | undefined {
    for (const module of app.get(ModulesContainer).values()) {
      const instance = module.providers.get(WsAuthenticator)?.instance;
      if (instance instanceof WsAuthenticator) {
        return instance;
      }
    }
    return undefined;
  }

  override create(port: number, options: Record<string, any> = {}): any {
    const policy = this.authenticator.policyFor(port, options.path);
    if (!policy) {
      return super.create(port, options);
    }
    const server = super.create(port, {
      ...options,
      verifyClient: (info: VerifyClientInfo, callback: VerifyClientCallback) =>
        void this.verifyHandshake(info.req, policy, callback),
      // Never let ws echo the first offered protocol: it may be the token.
      handleProtocols: (_: Set<string>, request: IncomingMessage) =>
        handshakeOutcomes.get(request)?.protocol ?? false,
    });
    this.inspectBeforeWs(server, policy);
    // Registered before Nest binds handleConnection, so the principal is
    // already on the client there.
    server.on('connection', (client: { close(code: number, reason?: string): void }, request: IncomingMessage) => {
      const outcome = handshakeOutcomes.get(request);
      if (outcome) {
        setWsAuth(client, outcome.auth);
      } else {
        client.close(CLOSE_UNAUTHENTICATED, 'Unauthorized');
      }
    });
    return server;
  }

  /**
   * Runs the synchronous checks (subprotocol caps and ambiguity) before `ws`
   * parses the request, so those refusals carry `WWW-Authenticate` too.
   */
  private inspectBeforeWs(server: UpgradeHandler, policy: ResolvedPolicy): void {
    const handleUpgrade = server.handleUpgrade.bind(server);
    server.handleUpgrade = (request, socket, head, callback) => {
      try {
        offeredProtocols.set(request, this.authenticator.inspectProtocols(request, policy));
      } catch (error) {
        const { status, message, headers } = this.refuse(error, policy);
        writeRefusal(socket, status, message, headers);
        return;
      }
      handleUpgrade(request, socket, head, callback);
    };
  }

  private async verifyHandshake(
    request: IncomingMessage,
    policy: ResolvedPolicy,
    callback: VerifyClientCallback,
  ): Promise<void> {
    try {
      const offered = offeredProtocols.get(request) ?? this.authenticator.inspectProtocols(request, policy);
      handshakeOutcomes.set(request, await this.authenticator.authenticateHandshake(request, policy, offered));
      callback(true);
    } catch (error) {
      const { status, message, headers } = this.refuse(error, policy);
      callback(false, status, message, headers);
    }
  }

  private refuse(error: unknown, policy: ResolvedPolicy): HandshakeRejection {
    const refusal = error instanceof WsAuthError ? error : new WsAuthError('unavailable', undefined, { cause: error });
    this.authenticator.logRefusal(refusal, policy.gateway);
    return handshakeRejection(refusal, this.authenticator.realm);
  }
}

interface UpgradeHandler {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (client: unknown) => void): void;
}

const offeredProtocols = new WeakMap<IncomingMessage, OfferedProtocols>();

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
