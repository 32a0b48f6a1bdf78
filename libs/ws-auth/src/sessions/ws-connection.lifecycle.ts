import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';
import type { WsAuthInfo } from '../interfaces/ws-auth-info.interface.js';
import type { WsAuthPolicy } from '../interfaces/ws-auth-options.interface.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { CredentialJudge } from '../handshake/credential-judge.js';
import { connectionOf, type WsConnection } from '../connection/ws-connection.js';
import { CloseReason, WsCloseCode } from '../ws-auth.close-codes.js';
import {
  AUTH_EVENT,
  MAX_PENDING_FRAME_BYTES,
  WS_AUTH_OPTIONS,
} from '../ws-auth.constants.js';
import { WsAuthError, type WsAuthErrorCode } from '../ws-auth.errors.js';
import { WS_AUTH_ERROR_TABLE } from '../ws-auth-error.table.js';
import { WsAuthAuditor } from '../audit/ws-auth-auditor.js';
import type { WsAuthCloseReason } from '../audit/ws-auth-audit-event.interface.js';
import { getWsAuth } from '../ws-auth.state.js';
import { DeadlineWheel } from './deadline-wheel.js';
import { snapshotUpgradeRequest } from './upgrade-request-snapshot.js';
import { close, WsSessionRegistry } from './ws-session.registry.js';

/** The in-band credential source: a token in an `auth` event. */
const MESSAGE_SOURCE: WsCredentialSource = { name: 'message', extract: () => null };

/** The frame of an in-band authentication. */
interface AuthFrame {
  event: typeof AUTH_EVENT;
  data?: { token?: unknown };
}

/**
 * What happens to a socket once the upgrade is accepted: it is admitted to
 * the gateway only when authenticated (at the handshake, or by its first
 * message), refreshed in band by later `auth` events, and tracked until it closes.
 */
@Injectable()
export class WsConnectionLifecycle {
  private readonly pendingDeadlines = new DeadlineWheel<WebSocket>((socket) =>
    this.closeUnauthenticated(socket, 'auth_timeout', WsCloseCode.AuthTimeout, CloseReason.timeout),
  );
  private readonly maxPending: number;
  private readonly firstMessageTimeoutMs: number;

  constructor(
    private readonly judge: CredentialJudge,
    private readonly registry: WsSessionRegistry,
    private readonly auditor: WsAuthAuditor,
    @Inject(WS_AUTH_OPTIONS) options: ResolvedWsAuthOptions,
  ) {
    this.maxPending = options.maxPendingSockets;
    this.firstMessageTimeoutMs = options.firstMessageTimeoutMs;
  }

  /** Whether one more pending socket fits under `maxPendingSockets`. */
  acceptsPending(): boolean {
    return this.pendingDeadlines.size < this.maxPending;
  }

  /**
   * Called for every accepted upgrade of a guarded gateway, in place of the
   * server's `connection` event; `admitToGateway` emits that event, which is
   * what runs `handleConnection` and binds the message handlers.
   */
  admit(socket: WebSocket, connection: WsConnection, request: IncomingMessage, admitToGateway: () => void): void {
    // Nest attaches its error listener on `connection`; until then a socket
    // error with no listener would be thrown.
    socket.on('error', ignoreError);
    switch (connection.decision) {
      case 'authenticated':
        connection.request = snapshotUpgradeRequest(request);
        this.registry.track(socket, connection.auth!);
        connection.auth = undefined; // the socket carries it now (getWsAuth)
        admitToGateway();
        dropErrorGuardOnceHandled(socket);
        return;
      case 'pending':
        this.awaitFirstMessage(socket, connection, request, admitToGateway);
        return;
      case 'refused': {
        const refusal = connection.refusal!;
        const { closeCode, closeReason } = WS_AUTH_ERROR_TABLE[refusal.code];
        this.closeUnauthenticated(socket, 'refused', closeCode, closeReason, refusal.code);
        return;
      }
      default:
        this.closeUnauthenticated(socket, 'refused', WsCloseCode.Unauthorized, CloseReason.unauthorized);
    }
  }

  /**
   * Handles `auth` on an authenticated socket: a fresh token of the same
   * subject moves the socket's deadline (and session); another subject closes
   * it with 4403, a bad token with 4401. The source stays what it was.
   */
  async refresh(socket: WebSocket, data: unknown): Promise<unknown> {
    const current = getWsAuth(socket);
    const request = connectionOf(socket)?.request;
    const token = (data as AuthFrame['data'])?.token;
    if (!current || !request || typeof token !== 'string') {
      this.closeAuthenticated(socket, 'refused', WsCloseCode.Unauthorized, CloseReason.unauthorized);
      return undefined;
    }
    let next: WsAuthInfo;
    try {
      next = await this.judge.judge(token, request, MESSAGE_SOURCE);
    } catch (error) {
      if (error instanceof WsAuthError && error.code === 'unavailable') {
        // The current token still holds until its own exp: keep the socket, say why.
        return { event: 'exception', data: { status: 'error', message: CloseReason.unavailable } };
      }
      this.closeAuthenticated(socket, 'refused', WsCloseCode.Unauthorized, CloseReason.unauthorized);
      return undefined;
    }
    if (next.subject !== current.subject) {
      this.closeAuthenticated(socket, 'subject_changed', WsCloseCode.Forbidden, CloseReason.forbidden);
      return undefined;
    }
    const refreshed = { ...next, source: current.source };
    this.registry.retrack(socket, refreshed);
    this.auditor.socket(socket, { type: 'socket_refreshed', subject: refreshed.subject, sessionId: refreshed.sessionId, source: refreshed.source });
    return authReply(refreshed);
  }

  private awaitFirstMessage(socket: WebSocket, connection: WsConnection, request: IncomingMessage, admitToGateway: () => void): void {
    const { policy } = connection.policy.gateway;
    const timeoutMs = (typeof policy.firstMessage === 'object' && policy.firstMessage.timeoutMs) || this.firstMessageTimeoutMs;
    this.pendingDeadlines.schedule(socket, Date.now() + timeoutMs);
    const restorePayloadCap = capPayload(socket, MAX_PENDING_FRAME_BYTES);
    let judging = false;

    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (data.length > MAX_PENDING_FRAME_BYTES) {
        return finish('frame_too_large', WsCloseCode.MessageTooBig, CloseReason.tooBig);
      }
      // A frame while the first one is being judged is "another frame" too.
      const frame = judging || isBinary ? undefined : parseAuthFrame(data);
      // Nothing but one `auth` frame is allowed before authentication.
      const token = frame?.data?.token;
      if (typeof token !== 'string') {
        return finish('refused', WsCloseCode.Unauthorized, CloseReason.unauthorized);
      }
      judging = true;
      // The Promise constructor turns a synchronous refusal into a rejection.
      new Promise<WsAuthInfo>((resolve) => resolve(this.judge.judge(token, request, MESSAGE_SOURCE))).then(
        (auth) => {
          if (socket.readyState !== socket.OPEN) {
            return;
          }
          finish();
          restorePayloadCap();
          connection.request = snapshotUpgradeRequest(request);
          this.registry.track(socket, auth);
          this.auditor.socket(socket, { type: 'socket_authenticated', subject: auth.subject, sessionId: auth.sessionId, source: auth.source });
          socket.send(JSON.stringify(authReply(auth)));
          admitToGateway();
          dropErrorGuardOnceHandled(socket);
        },
        (error: unknown) =>
          error instanceof WsAuthError && error.code === 'unavailable'
            ? finish('unavailable', WsCloseCode.TryAgainLater, CloseReason.unavailable)
            : finish('refused', WsCloseCode.Unauthorized, CloseReason.unauthorized),
      );
    };
    const finish = (why?: WsAuthCloseReason, code?: number, text?: string) => {
      socket.off('message', onMessage);
      socket.off('error', onOversize);
      this.pendingDeadlines.cancel(socket);
      if (why !== undefined) {
        this.closeUnauthenticated(socket, why, code!, text!);
      }
    };
    // ws refuses a frame over the pending cap itself (close 1009): record it.
    const onOversize = (error: NodeJS.ErrnoException) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        finish();
        this.auditor.socket(socket, { type: 'socket_closed', reason: 'frame_too_large', closeCode: WsCloseCode.MessageTooBig });
      }
    };
    socket.on('message', onMessage);
    socket.on('error', onOversize);
    socket.once('close', () => finish());
  }

  private closeAuthenticated(socket: WebSocket, why: WsAuthCloseReason, code: number, text: string): void {
    const auth = getWsAuth(socket);
    close(socket, code, text);
    this.auditor.socket(socket, { type: 'socket_closed', reason: why, closeCode: code, subject: auth?.subject, sessionId: auth?.sessionId });
  }

  /**
   * Closes a socket that never authenticated, and cuts it if the peer does not
   * answer the close frame in time. ws waits 30 s for the peer's close frame: a
   * peer that never answers would hold its socket that long after leaving the
   * pending count, so `maxPendingSockets` would not bound what unauthenticated
   * clients hold.
   */
  private closeUnauthenticated(socket: WebSocket, why: WsAuthCloseReason, code: number, text: string, refusal?: WsAuthErrorCode): void {
    close(socket, code, text);
    const timer = setTimeout(() => socket.terminate(), UNAUTHENTICATED_CLOSE_GRACE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    this.auditor.socket(socket, {
      type: why === 'refused' && refusal !== undefined ? 'handshake_refused' : 'socket_closed',
      reason: why,
      code: refusal,
      closeCode: code,
    });
  }
}

/** How long a socket that never authenticated may take to answer our close frame before it is cut. */
const UNAUTHENTICATED_CLOSE_GRACE_MS = 1000;

/** One listener for every socket: a closure per socket would be heap per socket. */
function ignoreError(): void {}

/**
 * Once the gateway has its own error listener, ours only makes the
 * socket's listener list an array: 64 bytes per idle socket.
 */
function dropErrorGuardOnceHandled(socket: WebSocket): void {
  if (socket.listenerCount('error') > 1) {
    socket.off('error', ignoreError);
  }
}

function parseAuthFrame(data: Buffer): AuthFrame | undefined {
  try {
    const frame = JSON.parse(data.toString('utf8')) as AuthFrame;
    return frame?.event === AUTH_EVENT ? frame : undefined;
  } catch {
    return undefined;
  }
}

function authReply(auth: WsAuthInfo) {
  const expiresIn = auth.expiresAt === undefined ? null : Math.max(0, Math.floor((auth.expiresAt - Date.now()) / 1000));
  return { event: AUTH_EVENT, data: { sub: auth.subject, expires_in: expiresIn } };
}

/**
 * Lowers the frame cap of one socket, so a pending socket cannot make the
 * server buffer a large frame (ws would take up to `maxPayload`, 100 MiB by
 * default, before any check of ours). ws has no public per-socket setting: its
 * receiver's `_maxPayload` is used, and ws closes with 1009 itself. Without
 * that field the size check on each frame still answers 1009.
 */
function capPayload(socket: WebSocket, bytes: number): () => void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') {
    return () => undefined;
  }
  const original = receiver._maxPayload;
  receiver._maxPayload = bytes;
  return () => {
    receiver._maxPayload = original;
  };
}
