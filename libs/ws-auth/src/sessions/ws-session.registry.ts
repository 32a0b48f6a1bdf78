import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
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
import { KnownRevocations } from './known-revocations.js';
import { revokes, type SessionEvent } from './session-event.js';
import type { SessionStore } from './session-store.interface.js';
import { SocketIndex } from './socket-index.js';
import { transportOf } from '../connection/socket-transport.js';

/** A socket of any transport: the registry reaches it through `transportOf(socket)`. */
type TrackedSocket = object;

/** How soon a revocation lookup that failed during a resync is asked again. */
const RECHECK_RETRY_MS = 250;
/** How many revocation lookups a resync has in flight at once. */
const RECHECK_BATCH = 64;

/**
 * The authenticated sockets of this instance, indexed by login session and by
 * subject so that a revocation touches only the sockets it concerns. Closes
 * each socket when its token expires (4401) or its session is revoked (4403),
 * and hints `auth_expiring` before expiry so clients can refresh in band.
 */
@Injectable()
export class WsSessionRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly bySession = new SocketIndex<TrackedSocket>();
  private readonly bySubject = new SocketIndex<TrackedSocket>();
  /**
   * One deadline per socket at a time: its `auth_expiring` hint, then, once
   * hinted, its expiry. A wheel for each was one more map entry and slot
   * entry per socket, about 80 bytes of heap per idle socket.
   */
  private readonly deadlines = new DeadlineWheel<TrackedSocket>((socket) => this.onDeadline(socket));
  /** Revocations this instance has heard of, for sockets that open just after one. */
  private readonly heard = new KnownRevocations();
  private readonly hintBeforeMs: number;
  /**
   * One close listener for every socket (`this` is the socket): a closure
   * per socket, wrapped by `once`, was about 200 bytes of heap per idle socket.
   * `close` is emitted once, so `on` does what `once` did.
   */
  private readonly untrackOnClose: (this: TrackedSocket) => void;
  /** Counts resyncs, so a newer one stops an older one still retrying. */
  private recheckGeneration = 0;

  constructor(
    @Inject(WS_AUTH_SESSION_STORE) private readonly store: SessionStore,
    private readonly auditor: WsAuthAuditor,
    @Inject(WS_AUTH_OPTIONS) options: ResolvedWsAuthOptions,
    private readonly metrics: WsAuthMetrics,
  ) {
    this.hintBeforeMs = options.sessions.expiringHintSec * 1000;
    const registry = this;
    this.untrackOnClose = function (this: TrackedSocket) {
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
    this.recheckGeneration++;
    this.deadlines.clear();
    await this.store.close?.();
  }

  /** Number of authenticated sockets tracked here. */
  get size(): number {
    return this.bySubject.size;
  }

  /** Starts watching an authenticated socket until it closes. */
  track(socket: TrackedSocket, auth: WsAuthInfo): void {
    const transport = transportOf(socket);
    transport.onClose(socket, this.untrackOnClose);
    // A socket already closed never emits the `close` that would count it out.
    if (this.metrics.enabled && transport.isOpen(socket)) {
      this.metrics.socketOpened(gatewayOf(socket));
    }
    this.follow(socket, auth);
  }

  /** Moves a socket to a refreshed credential: new deadline, maybe a new session. */
  retrack(socket: TrackedSocket, auth: WsAuthInfo): void {
    const previous = getWsAuth(socket);
    if (previous) {
      this.unindex(socket, previous);
    }
    this.follow(socket, auth);
  }

  /**
   * What tracking at the handshake and after a refresh share. A socket whose
   * `close` already ran (its refresh was judged while it went away) is not
   * indexed again: nothing would ever remove it. A revocation this instance
   * heard while the credential was judged (its session's sockets were looked
   * up before this one joined it) closes the socket now.
   */
  private follow(socket: TrackedSocket, auth: WsAuthInfo): void {
    setWsAuth(socket, auth);
    // Closing counts as gone: its close listener is about to run, or has.
    if (!transportOf(socket).isOpen(socket)) {
      this.deadlines.cancel(socket);
      return;
    }
    this.index(socket, auth);
    this.schedule(socket, auth);
    if (this.heard.isRevoked(auth)) {
      this.closeFor(socket, 'revoked', WsCloseCode.Forbidden, CloseReason.revoked);
    }
  }

  /** Applies a session event from any instance to this instance's sockets. */
  apply(event: SessionEvent): void {
    this.metrics.received(event);
    if (event.type === 'revoke-session' || event.type === 'revoke-subject') {
      this.heard.add(event);
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
  private closeFor(socket: TrackedSocket, reason: WsAuthCloseReason, code: number, text: string): void {
    const transport = transportOf(socket);
    if (!transport.isOpen(socket)) {
      return;
    }
    const auth = getWsAuth(socket);
    transport.close(socket, code, text);
    this.auditor.socket(socket, { type: 'socket_closed', reason, closeCode: code, subject: auth?.subject, sessionId: auth?.sessionId });
  }

  private untrack(socket: TrackedSocket): void {
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
  private schedule(socket: TrackedSocket, auth: WsAuthInfo): void {
    if (auth.expiresAt === undefined) {
      this.deadlines.cancel(socket);
      return;
    }
    // Half the remaining life for short tokens, so the hint always precedes the close.
    const remaining = auth.expiresAt - Date.now();
    this.deadlines.schedule(socket, auth.expiresAt - Math.min(this.hintBeforeMs, remaining / 2));
  }

  private onDeadline(socket: TrackedSocket): void {
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

  private hint(socket: TrackedSocket, expiresAt: number): void {
    const transport = transportOf(socket);
    if (transport.isOpen(socket)) {
      const expiresIn = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
      transport.emit(socket, 'auth_expiring', { expires_in: expiresIn });
    }
  }

  /**
   * After events may have been missed (the store lost and regained Redis),
   * asks the store about every socket. A lookup that fails is not an answer:
   * that socket is asked again, a little later, until the store answers or
   * the socket closes. A newer resync replaces a running one.
   */
  private async recheckAll(): Promise<void> {
    const generation = ++this.recheckGeneration;
    let waiting = [...this.bySubject.groups()].flat();
    while (waiting.length > 0 && generation === this.recheckGeneration) {
      const unanswered: TrackedSocket[] = [];
      // A few lookups at a time: thousands of sockets neither wait in one line nor flood Redis at once.
      for (let start = 0; start < waiting.length; start += RECHECK_BATCH) {
        const batch = waiting.slice(start, start + RECHECK_BATCH).filter((socket) => transportOf(socket).isOpen(socket));
        const answers = await Promise.allSettled(batch.map(async (socket) => this.store.isRevoked(getWsAuth(socket)!)));
        answers.forEach((answer, i) => {
          if (answer.status === 'rejected') {
            unanswered.push(batch[i]);
          } else if (answer.value) {
            this.closeFor(batch[i], 'revoked', WsCloseCode.Forbidden, CloseReason.revoked);
          }
        });
      }
      waiting = unanswered;
      if (waiting.length > 0) {
        await new Promise<void>((resolve) => setTimeout(resolve, RECHECK_RETRY_MS).unref());
      }
    }
  }

  private index(socket: TrackedSocket, auth: WsAuthInfo): void {
    this.bySubject.add(auth.subject, socket);
    if (auth.sessionId !== undefined) {
      this.bySession.add(auth.sessionId, socket);
    }
  }

  private unindex(socket: TrackedSocket, auth: WsAuthInfo): void {
    this.bySubject.delete(auth.subject, socket);
    if (auth.sessionId !== undefined) {
      this.bySession.delete(auth.sessionId, socket);
    }
  }
}

/** The gateway path a socket was opened on, as the metrics label it. */
const gatewayOf = (socket: TrackedSocket): string => connectionOf(socket)?.path ?? '?';
