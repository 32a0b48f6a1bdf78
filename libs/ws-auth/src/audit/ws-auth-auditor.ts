import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { WS_AUTH_OPTIONS } from '../ws-auth.constants.js';
import { connectionOf, type WsConnection } from '../connection/ws-connection.js';
import { WsAuthMetrics } from '../metrics/ws-auth-metrics.js';
import type { WsAuthAuditEvent } from './ws-auth-audit-event.interface.js';
import { LogBudget } from './log-budget.js';
import { quoteForLog } from './log-text.js';

/** Lines per second the default log writes about refusals and forced closes. */
const AUDIT_LINES_PER_SECOND = 100;

type AuditInput = Omit<WsAuthAuditEvent, 'at'>;

/**
 * Hands every decision to the app's `audit` sink (module option), or, by
 * default, to the `WsAuth` logger: refusals and forced closes at `debug`,
 * unavailability at `warn`, each line bounded in length and the lines in
 * number per second. A sink that throws is logged, never allowed to break a
 * handshake. Every event is also counted by the metrics (when the `metrics`
 * option is set), so the two never disagree.
 */
@Injectable()
export class WsAuthAuditor {
  private readonly logger = new Logger('WsAuth');
  private readonly sink?: (event: WsAuthAuditEvent) => void;
  private readonly budget = new LogBudget(AUDIT_LINES_PER_SECOND);
  /**
   * Whether an accepted handshake is read by anyone: a sink or the metrics.
   * The default log leaves the happy path to the app, so without either the
   * pipeline skips building the event on every handshake.
   */
  readonly recordsAccepted: boolean;

  constructor(
    @Inject(WS_AUTH_OPTIONS) options: ResolvedWsAuthOptions,
    private readonly metrics: WsAuthMetrics,
  ) {
    this.sink = options.audit;
    this.recordsAccepted = this.sink !== undefined || metrics.enabled;
  }

  /** Records an event of a socket's life; path and origin come from the connection record it carries. */
  socket(socket: object, event: Omit<AuditInput, 'path' | 'origin'>): void {
    const from = connectionOf(socket);
    this.record({ ...event, path: from?.path ?? '?', origin: from?.origin });
  }

  /** Records a handshake's decision, before the `101`; the metrics time it from the request's arrival. */
  handshake(connection: WsConnection, event: Omit<AuditInput, 'path' | 'origin'>): void {
    this.record({ ...event, path: connection.path, origin: connection.origin }, connection.handshake?.startedAt);
  }

  record(input: AuditInput, startedAt?: number): void {
    this.metrics.observe(input, startedAt);
    if (!this.sink) {
      this.log(input);
      return;
    }
    try {
      this.sink({ ...input, at: Date.now() });
    } catch (error) {
      this.logger.error(`The audit sink threw ${error instanceof Error ? error.name : typeof error}`);
    }
  }

  private log(event: AuditInput): void {
    if (event.type === 'handshake_accepted' || event.type === 'socket_authenticated' || event.type === 'socket_refreshed' || event.type === 'handshake_pending') {
      return; // the happy path is the app's to log, through an audit sink
    }
    const { allowed, dropped } = this.budget.take();
    if (!allowed) {
      return;
    }
    const what = event.type === 'handshake_refused' ? `Handshake refused on ${event.path}: ${event.code}` : `Socket closed on ${event.path}: ${event.reason}`;
    // Quoted and cut: the Origin is the client's text, and must neither forge log lines nor fill the log.
    const origin = event.origin === undefined ? '' : ` origin=${quoteForLog(event.origin)}`;
    const subject = event.subject === undefined ? '' : ` sub=${quoteForLog(event.subject)}`;
    const skipped = dropped === 0 ? '' : ` (${dropped} earlier lines not logged: over ${AUDIT_LINES_PER_SECOND} a second)`;
    const line = `${what}${subject}${origin}${skipped}`;
    if (event.code === 'unavailable' || event.reason === 'unavailable') {
      this.logger.warn(line);
    } else {
      this.logger.debug(line);
    }
  }
}
