import { Inject, Injectable } from '@nestjs/common';
import type { WsAuthAuditEvent } from '../audit/ws-auth-audit-event.interface.js';
import type { SessionEvent } from '../sessions/session-event.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { WS_AUTH_OPTIONS } from '../ws-auth.constants.js';
import { createWsAuthSeries, type WsAuthSeries } from './ws-auth-series.js';

/** What a handshake's audit event says happened, as the `outcome` label. */
const OUTCOMES: Partial<Record<WsAuthAuditEvent['type'], string>> = {
  handshake_accepted: 'accepted',
  handshake_pending: 'pending',
  handshake_refused: 'refused',
};

/**
 * Turns what the library decides into Prometheus series: the auditor hands
 * it every audit event (so the metrics count exactly what the audit log
 * records), the session registry and first-message authentication tell it
 * when sockets open and close. Without the `metrics` module option every
 * method returns at once and prom-client is never loaded.
 */
@Injectable()
export class WsAuthMetrics {
  private readonly series?: WsAuthSeries;
  /** Whether anything is counted: callers skip even finding a label when not. */
  readonly enabled: boolean;

  constructor(@Inject(WS_AUTH_OPTIONS) options: ResolvedWsAuthOptions) {
    this.series = options.metrics ? createWsAuthSeries(options.metrics) : undefined;
    this.enabled = this.series !== undefined;
  }

  /** Counts one audit event; `startedAt` (`performance.now()` at the request) times a handshake's decision. */
  observe(event: Omit<WsAuthAuditEvent, 'at'>, startedAt?: number): void {
    if (!this.series) {
      return;
    }
    const outcome = OUTCOMES[event.type];
    if (outcome !== undefined) {
      this.series.handshakes.inc({ gateway: event.path, outcome, code: event.code ?? 'none' });
      if (startedAt !== undefined) {
        this.series.decisionSeconds.observe({ gateway: event.path, outcome }, (performance.now() - startedAt) / 1000);
      }
    }
    // A refusal after an accepted upgrade (`acceptThenClose`) is a close too.
    if (event.type === 'socket_closed' || (event.type === 'handshake_refused' && event.closeCode !== undefined)) {
      this.series.closes.inc({ gateway: event.path, reason: event.reason ?? 'refused' });
    }
  }

  socketOpened(gateway: string): void {
    this.series?.openSockets.inc({ gateway });
  }

  socketClosed(gateway: string): void {
    this.series?.openSockets.dec({ gateway });
  }

  pendingOpened(gateway: string): void {
    this.series?.pendingSockets.inc({ gateway });
  }

  pendingClosed(gateway: string): void {
    this.series?.pendingSockets.dec({ gateway });
  }

  published(event: SessionEvent): void {
    this.series?.revocationsPublished.inc({ type: event.type });
  }

  received(event: SessionEvent): void {
    this.series?.revocationsReceived.inc({ type: event.type });
  }
}
