import type * as PromClient from 'prom-client';
import type { WsAuthMetricsOptions } from '../interfaces/ws-auth-options.interface.js';
import { loadOptionalPeer } from '../optional-peer.js';

/**
 * The library's Prometheus series. Labels are bounded sets the library
 * chooses: the gateway's configured path (never the request URL, whose query
 * may hold a ticket), outcomes, error codes, close reasons and event types.
 * Never a subject, a session or a credential: each would be a series per
 * user, and a leak.
 */
export interface WsAuthSeries {
  readonly handshakes: PromClient.Counter<'gateway' | 'outcome' | 'code'>;
  readonly decisionSeconds: PromClient.Histogram<'gateway' | 'outcome'>;
  readonly openSockets: PromClient.Gauge<'gateway'>;
  readonly pendingSockets: PromClient.Gauge<'gateway'>;
  readonly closes: PromClient.Counter<'gateway' | 'reason'>;
  readonly revocationsPublished: PromClient.Counter<'type'>;
  readonly revocationsReceived: PromClient.Counter<'type'>;
}

/**
 * Decisions take well under a millisecond when nothing outside the process is
 * asked, and are bounded by `verifyTimeoutMs` (a second by default) when a
 * store or an issuer is: buckets from 0.5 ms to past that bound.
 */
const DECISION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Creates the series on the given registry (prom-client's global one by default); prom-client is loaded here, not with the library. */
export function createWsAuthSeries(options: WsAuthMetricsOptions): WsAuthSeries {
  const client = loadOptionalPeer<typeof PromClient>('prom-client', 'WsAuthModule metrics');
  const registers = [(options.registry ?? client.register) as PromClient.Registry];
  return {
    handshakes: new client.Counter({
      name: 'ws_auth_handshakes_total',
      help: 'WebSocket handshakes decided, by gateway path, outcome (accepted, pending, refused) and code (none, or the WsAuthError code)',
      labelNames: ['gateway', 'outcome', 'code'],
      registers,
    }),
    decisionSeconds: new client.Histogram({
      name: 'ws_auth_handshake_duration_seconds',
      help: 'Time from the upgrade request to the decision, by gateway path and outcome',
      labelNames: ['gateway', 'outcome'],
      buckets: DECISION_BUCKETS,
      registers,
    }),
    openSockets: new client.Gauge({
      name: 'ws_auth_open_sockets',
      help: 'Authenticated sockets open on this instance, by gateway path',
      labelNames: ['gateway'],
      registers,
    }),
    pendingSockets: new client.Gauge({
      name: 'ws_auth_pending_sockets',
      help: 'Pending (not yet authenticated, first-message) sockets open on this instance, by gateway path',
      labelNames: ['gateway'],
      registers,
    }),
    closes: new client.Counter({
      name: 'ws_auth_closes_total',
      help: 'Sockets the library closed, by gateway path and reason',
      labelNames: ['gateway', 'reason'],
      registers,
    }),
    revocationsPublished: new client.Counter({
      name: 'ws_auth_revocations_published_total',
      help: 'Session events this instance published (revoke-session, revoke-subject, disconnect-session, disconnect-subject)',
      labelNames: ['type'],
      registers,
    }),
    revocationsReceived: new client.Counter({
      name: 'ws_auth_revocations_received_total',
      help: 'Session events this instance received from the session store, its own included',
      labelNames: ['type'],
      registers,
    }),
  };
}
