import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { WsAuthAuditor } from '../audit/ws-auth-auditor.js';
import type { WsAuthCloseReason } from '../audit/ws-auth-audit-event.interface.js';
import type { WsConnection } from './ws-connection.js';
import { CredentialJudge } from '../handshake/credential-judge.js';
import type { WsAuthInfo } from '../interfaces/ws-auth-info.interface.js';
import { CloseReason, WsCloseCode } from '../ws-auth.close-codes.js';
import { MAX_PENDING_FRAME_BYTES, WS_AUTH_OPTIONS } from '../ws-auth.constants.js';
import { WsAuthError } from '../ws-auth.errors.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { DeadlineWheel } from '../sessions/deadline-wheel.js';
import { authReply, MESSAGE_SOURCE, parseAuthFrame } from './in-band-auth.js';
import { PendingSockets } from './pending-sockets.js';
import { closeUnauthenticated } from './unauthenticated-close.js';
import { requestKeptForRefresh } from './upgrade-request-snapshot.js';
import { WsSessionRegistry } from '../sessions/ws-session.registry.js';
import { SubjectSocketCounter } from '../limits/subject-socket-counter.js';
import { WsAuthMetrics } from '../metrics/ws-auth-metrics.js';

/**
 * A pending socket (accepted without a credential on a `firstMessage`
 * gateway) and its one way out: its first frame is an `auth` event whose
 * token authenticates it, before `timeoutMs` (else 4408). Every other frame,
 * a frame over 16 KiB, or a bad token closes it; while the `auth` frame is
 * judged, any further frame does too. States: pending → judging →
 * authenticated (admitted to the gateway) or closed. A pending socket holds
 * no `maxSocketsPerSubject` slot (its subject is not known yet); its `auth`
 * takes one, and an `auth` past the limit closes it with 4429.
 */
@Injectable()
export class FirstMessageAuthentication {
  private readonly pendingDeadlines = new DeadlineWheel<WebSocket>((socket) =>
    closeUnauthenticated(this.auditor, socket, 'auth_timeout', WsCloseCode.AuthTimeout, CloseReason.timeout),
  );
  private readonly pending: PendingSockets;
  private readonly timeoutMs: number;
  private readonly keepsUpgradeRequest: boolean;

  constructor(
    private readonly judge: CredentialJudge,
    private readonly registry: WsSessionRegistry,
    private readonly auditor: WsAuthAuditor,
    @Inject(WS_AUTH_OPTIONS) options: ResolvedWsAuthOptions,
    private readonly sockets: SubjectSocketCounter,
    private readonly metrics: WsAuthMetrics,
  ) {
    this.pending = new PendingSockets(options.maxPendingSockets, options.maxPendingSocketsPerAddress);
    this.timeoutMs = options.firstMessageTimeoutMs;
    this.keepsUpgradeRequest = options.keepsUpgradeRequest;
  }

  /** Whether one more pending socket from that address fits under `maxPendingSockets` and `maxPendingSocketsPerAddress`. */
  acceptsPending(clientAddress: string): boolean {
    return this.pending.fits(clientAddress);
  }

  /**
   * Holds a pending socket until its `auth` frame, counted for its client
   * address until then; `admit` runs once it is authenticated.
   */
  await(socket: WebSocket, connection: WsConnection, request: IncomingMessage, clientAddress: string, admit: () => void): void {
    const { firstMessage } = connection.policy.gateway.policy;
    const timeoutMs = (typeof firstMessage === 'object' && firstMessage.timeoutMs) || this.timeoutMs;
    this.pendingDeadlines.schedule(socket, Date.now() + timeoutMs);
    this.pending.add(clientAddress);
    let counted = true;
    const restorePayloadCap = capPayload(socket, MAX_PENDING_FRAME_BYTES);
    let judging = false;
    this.metrics.pendingOpened(connection.path);

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
          if (!this.sockets.take(connection, auth.subject, request.socket)) {
            return finish('too_many_connections', WsCloseCode.TooManyConnections, CloseReason.tooManyConnections);
          }
          finish();
          restorePayloadCap();
          connection.request = requestKeptForRefresh(request, this.keepsUpgradeRequest);
          this.registry.track(socket, auth);
          this.auditor.socket(socket, { type: 'socket_authenticated', subject: auth.subject, sessionId: auth.sessionId, source: auth.source });
          socket.send(JSON.stringify(authReply(auth)));
          admit();
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
      if (counted) {
        counted = false;
        this.pending.remove(clientAddress);
        this.metrics.pendingClosed(connection.path);
      }
      if (why !== undefined) {
        closeUnauthenticated(this.auditor, socket, why, code!, text!);
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
