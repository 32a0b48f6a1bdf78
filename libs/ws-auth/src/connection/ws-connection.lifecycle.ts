import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { WsAuthInfo } from '../interfaces/ws-auth-info.interface.js';
import { CredentialJudge } from '../handshake/credential-judge.js';
import { connectionOf, type HandshakeState, type WsConnection } from './ws-connection.js';
import { CloseReason, WsCloseCode } from '../ws-auth.close-codes.js';
import { WsAuthError } from '../ws-auth.errors.js';
import { WS_AUTH_ERROR_TABLE } from '../ws-auth-error.table.js';
import { WsAuthAuditor } from '../audit/ws-auth-auditor.js';
import type { WsAuthCloseReason } from '../audit/ws-auth-audit-event.interface.js';
import { getWsAuth } from '../ws-auth.state.js';
import { FirstMessageAuthentication } from './first-message.authentication.js';
import { authReply, MESSAGE_SOURCE, type AuthFrame } from './in-band-auth.js';
import { closeUnauthenticated } from './unauthenticated-close.js';
import { REQUEST_NOT_KEPT, requestKeptForRefresh } from './upgrade-request-snapshot.js';
import { WsSessionRegistry } from '../sessions/ws-session.registry.js';
import { transportOf } from './socket-transport.js';
import { WS_AUTH_OPTIONS } from '../ws-auth.constants.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';

/**
 * What happens to a socket once the upgrade is accepted: it is admitted to
 * the gateway only when authenticated (at the handshake, or by its first
 * message), refreshed in band by later `auth` events, and tracked until it closes.
 */
@Injectable()
export class WsConnectionLifecycle {
  constructor(
    private readonly judge: CredentialJudge,
    private readonly registry: WsSessionRegistry,
    private readonly auditor: WsAuthAuditor,
    private readonly firstMessage: FirstMessageAuthentication,
    @Inject(WS_AUTH_OPTIONS) private readonly options: ResolvedWsAuthOptions,
  ) {}

  /**
   * Called for every accepted upgrade of an authenticated gateway, in place
   * of the server's `connection` event; `admitToGateway` emits that event,
   * which is what runs `handleConnection` and binds the message handlers.
   */
  admit(socket: WebSocket, connection: WsConnection, handshake: HandshakeState, request: IncomingMessage, admitToGateway: () => void): void {
    // Nest attaches its error listener on `connection`; until then a socket
    // error with no listener would be thrown.
    socket.on('error', ignoreError);
    switch (handshake.decision) {
      case 'authenticated':
        this.track(socket, connection, handshake.auth!, request);
        admitToGateway();
        dropErrorGuardOnceHandled(socket);
        return;
      case 'pending':
        this.firstMessage.await(socket, connection, request, handshake.clientAddress ?? 'unknown', () => {
          admitToGateway();
          dropErrorGuardOnceHandled(socket);
        });
        return;
      case 'refused': {
        const refusal = handshake.refusal!;
        const { closeCode, closeReason } = WS_AUTH_ERROR_TABLE[refusal.code];
        closeUnauthenticated(this.auditor, socket, 'refused', closeCode, closeReason, refusal.code);
        return;
      }
      default:
        closeUnauthenticated(this.auditor, socket, 'refused', WsCloseCode.Unauthorized, CloseReason.unauthorized);
    }
  }

  /**
   * Step 7 for a socket authenticated at the handshake, of any transport:
   * it carries its principal (`getWsAuth`) and what its refresh needs of the
   * request, and the registry watches its expiry and session.
   */
  track(socket: object, connection: WsConnection, auth: WsAuthInfo, request: IncomingMessage): void {
    connection.request = requestKeptForRefresh(request, this.options.keepsUpgradeRequest);
    this.registry.track(socket, auth);
  }

  /**
   * Handles `auth` on an authenticated socket: a fresh token of the same
   * subject moves the socket's deadline (and session); another subject closes
   * it with 4403, a bad token with 4401. The source stays what it was.
   * Answers with `ws` frames; see `reauthenticate` for the outcome itself.
   */
  async refresh(socket: WebSocket, data: unknown): Promise<unknown> {
    const outcome = await this.reauthenticate(socket, data);
    if (outcome === 'unavailable') {
      return { event: 'exception', data: { status: 'error', message: CloseReason.unavailable } };
    }
    return outcome && authReply(outcome);
  }

  /**
   * The in-band refresh of any transport: the refreshed principal;
   * `unavailable` when it could not be judged (the socket keeps its current
   * expiry: that token still holds until its own exp); `undefined` once the
   * socket has been closed for a bad token or another subject.
   */
  async reauthenticate(socket: object, data: unknown): Promise<WsAuthInfo | 'unavailable' | undefined> {
    const current = getWsAuth(socket);
    const connection = connectionOf(socket);
    const token = (data as AuthFrame['data'])?.token;
    if (!current || !connection || typeof token !== 'string') {
      this.closeAuthenticated(socket, 'refused', WsCloseCode.Unauthorized, CloseReason.unauthorized);
      return undefined;
    }
    let next: WsAuthInfo;
    try {
      next = await this.judge.judge(token, connection.request ?? REQUEST_NOT_KEPT, MESSAGE_SOURCE);
    } catch (error) {
      if (error instanceof WsAuthError && error.code === 'unavailable') {
        return 'unavailable';
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
    return refreshed;
  }

  private closeAuthenticated(socket: object, why: WsAuthCloseReason, code: number, text: string): void {
    const auth = getWsAuth(socket);
    transportOf(socket).close(socket, code, text);
    this.auditor.socket(socket, { type: 'socket_closed', reason: why, closeCode: code, subject: auth?.subject, sessionId: auth?.sessionId });
  }
}

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
