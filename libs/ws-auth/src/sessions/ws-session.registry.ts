import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { WsAuthInfo } from '../interfaces/ws-auth-info.interface.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { CloseReason, WsCloseCode } from '../ws-auth.close-codes.js';
import { WS_AUTH_OPTIONS, WS_AUTH_SESSION_STORE } from '../ws-auth.constants.js';
import { getWsAuth, setWsAuth } from '../ws-auth.state.js';
import { WsAuthAuditor } from '../audit/ws-auth-auditor.js';
import type { WsAuthCloseReason } from '../audit/ws-auth-audit-event.interface.js';
import { connectionOf } from '../connection/ws-connection.js';
import { WsAuthMetrics } from '../metrics/ws-auth-metrics.js';
import { DeadlineWheel } from './deadline-wheel.js';
import { MemorySessionStore } from './memory-session.store.js';
import { revokes, type SessionEvent } from './session-event.js';
import type { SessionStore } from './session-store.interface.js';
import { SocketIndex } from './socket-index.js';

/**
 * The authenticated sockets of this instance, indexed by login session and by
 * subject so that a revocation touches only the sockets it concerns. Closes
 * each socket when its token expires (4401) or its session is revoked (4403),
 * and hints `auth_expiring` before expiry so clients can refresh in band.
 */
@Injectable()
export class WsSessionRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly bySession = new SocketIndex<WebSocket>();
  private readonly bySubject = new SocketIndex<WebSocket>();
  /**
   * One deadline per socket at a time: its `auth_expiring` hint, then, once
   * hinted, its expiry. A wheel for each was one more map entry and slot
   * entry per socket, about 80 bytes of heap per idle socket.
   */
  private readonly deadlines = new DeadlineWheel<WebSocket>((socket) => this.onDeadline(socket));
  /** Revocations this instance has heard of, for sockets that open just after one. */
  private readonly heard = new MemorySessionStore();
  private readonly hintBeforeMs: number;
  /**
   * One close listener for every socket (`this` is the socket): a closure
   * per socket, wrapped by `once`, was about 200 bytes of heap per idle socket.
   * `close` is emitted once, so `on` does what `once` did.
   */
  private readonly untrackOnClose: (this: WebSocket) => void;

  constructor(
    @Inject(WS_AUTH_SESSION_STORE) private readonly store: SessionStore,
    private readonly auditor: WsAuthAuditor,
    @Inject(WS_AUTH_OPTIONS) options: ResolvedWsAuthOptions,
    private readonly metrics: WsAuthMetrics,
  ) {
    this.hintBeforeMs = options.sessions.expiringHintSec * 1000;
    const registry = this;
    this.untrackOnClose = function (this: WebSocket) {
      registry.untrack(this);
    };
  }

  onModuleInit(): void {
    this.store.subscribe(
      (event) => this.apply(event),
      () => void this.recheckAll(),
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.deadlines.clear();
    await this.store.close?.();
  }

  /** Number of authenticated sockets tracked here. */
  get size(): number {
    return this.bySubject.size;
  }

  /** Starts watching an authenticated socket until it closes. */
  track(socket: WebSocket, auth: WsAuthInfo): void {
    setWsAuth(socket, auth);
    this.index(socket, auth);
    this.schedule(socket, auth);
    socket.on('close', this.untrackOnClose);
    if (this.metrics.enabled) {
      this.metrics.socketOpened(gatewayOf(socket));
    }
    // A revocation heard while this socket was being authenticated.
    if (this.heard.isRevoked(auth)) {
      this.closeFor(socket, 'revoked', WsCloseCode.Forbidden, CloseReason.revoked);
    }
  }

  /** Moves a socket to a refreshed credential: new deadline, maybe a new session. */
  retrack(socket: WebSocket, auth: WsAuthInfo): void {
    const previous = getWsAuth(socket);
    if (previous) {
      this.unindex(socket, previous);
    }
    setWsAuth(socket, auth);
    this.index(socket, auth);
    this.schedule(socket, auth);
  }

  /** Applies a session event from any instance to this instance's sockets. */
  apply(event: SessionEvent): void {
    this.metrics.received(event);
    if (event.type === 'revoke-session' || event.type === 'revoke-subject') {
      void this.heard.publish(event);
    }
    const sockets =
      event.type === 'revoke-session' || event.type === 'disconnect-session'
        ? this.bySession.get(event.sessionId)
        : this.bySubject.get(event.subject);
    for (const socket of sockets) {
      const auth = getWsAuth(socket);
      const hit = event.type.startsWith('disconnect') || (auth !== undefined && revokes(event, auth));
      if (hit && event.type.startsWith('revoke')) {
        this.closeFor(socket, 'revoked', WsCloseCode.Forbidden, CloseReason.revoked);
      } else if (hit) {
        this.closeFor(socket, 'disconnected', WsCloseCode.Forbidden, CloseReason.forbidden);
      }
    }
  }

  /** Closes a tracked socket and records why. */
  private closeFor(socket: WebSocket, reason: WsAuthCloseReason, code: number, text: string): void {
    if (socket.readyState !== socket.OPEN) {
      return;
    }
    const auth = getWsAuth(socket);
    close(socket, code, text);
    this.auditor.socket(socket, { type: 'socket_closed', reason, closeCode: code, subject: auth?.subject, sessionId: auth?.sessionId });
  }

  private untrack(socket: WebSocket): void {
    const auth = getWsAuth(socket);
    if (auth) {
      this.unindex(socket, auth);
    }
    this.deadlines.cancel(socket);
    if (this.metrics.enabled) {
      this.metrics.socketClosed(gatewayOf(socket));
    }
  }

  /** Schedules the socket's hint; its expiry follows when the hint is due. */
  private schedule(socket: WebSocket, auth: WsAuthInfo): void {
    if (auth.expiresAt === undefined) {
      this.deadlines.cancel(socket);
      return;
    }
    // Half the remaining life for short tokens, so the hint always precedes the close.
    const remaining = auth.expiresAt - Date.now();
    this.deadlines.schedule(socket, auth.expiresAt - Math.min(this.hintBeforeMs, remaining / 2));
  }

  private onDeadline(socket: WebSocket): void {
    const expiresAt = getWsAuth(socket)?.expiresAt;
    if (expiresAt === undefined) {
      return;
    }
    if (Date.now() < expiresAt) {
      this.hint(socket, expiresAt);
      this.deadlines.schedule(socket, expiresAt);
    } else {
      this.closeFor(socket, 'expired', WsCloseCode.Unauthorized, CloseReason.expired);
    }
  }

  private hint(socket: WebSocket, expiresAt: number): void {
    if (socket.readyState === socket.OPEN) {
      const expiresIn = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
      socket.send(JSON.stringify({ event: 'auth_expiring', data: { expires_in: expiresIn } }));
    }
  }

  /** After missed events (a pub/sub reconnection), asks the store about every socket. */
  private async recheckAll(): Promise<void> {
    for (const sockets of this.bySubject.groups()) {
      for (const socket of sockets) {
        const auth = getWsAuth(socket);
        if (auth && (await this.revokedInStore(auth))) {
          this.closeFor(socket, 'revoked', WsCloseCode.Forbidden, CloseReason.revoked);
        }
      }
    }
  }

  /** Asked of sockets already admitted: a store that cannot answer leaves them open, rather than closing every socket on a Redis blip. */
  private async revokedInStore(auth: WsAuthInfo): Promise<boolean> {
    try {
      return await this.store.isRevoked(auth);
    } catch {
      return false;
    }
  }

  private index(socket: WebSocket, auth: WsAuthInfo): void {
    this.bySubject.add(auth.subject, socket);
    if (auth.sessionId !== undefined) {
      this.bySession.add(auth.sessionId, socket);
    }
  }

  private unindex(socket: WebSocket, auth: WsAuthInfo): void {
    this.bySubject.delete(auth.subject, socket);
    if (auth.sessionId !== undefined) {
      this.bySession.delete(auth.sessionId, socket);
    }
  }
}

/** The gateway path a socket was opened on, as the metrics label it. */
const gatewayOf = (socket: WebSocket): string => connectionOf(socket)?.path ?? '?';

export function close(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) {
    socket.close(code, reason);
  }
}
