import type { Figures } from '../suites/figures.js';

/** A target of issue 8, judged against one figure of the run. */
export interface Target {
  readonly figure: string;
  readonly description: string;
  readonly threshold: string;
  readonly met: (value: number) => boolean;
}

export const TARGETS: readonly Target[] = [
  { figure: 'handshake_ratio_header', description: 'authenticated handshakes (header) vs Nest WsAdapter without auth', threshold: '>= 0.90', met: (v) => v >= 0.9 },
  { figure: 'handshake_ratio_protocol', description: 'authenticated handshakes (subprotocol) vs the same baseline', threshold: '>= 0.90', met: (v) => v >= 0.9 },
  { figure: 'handshake_ratio_ticket_redis', description: 'handshakes with Redis tickets vs the same baseline', threshold: '>= 0.80', met: (v) => v >= 0.8 },
  { figure: 'message_ratio_guarded', description: 'guarded messages vs the same handler unguarded (same app)', threshold: '>= 0.95', met: (v) => v >= 0.95 },
  {
    figure: 'socket_io_message_ratio_guarded',
    description: 'guarded messages vs the same handler unguarded, over Socket.IO (same app)',
    threshold: '>= 0.95',
    met: (v) => v >= 0.95,
  },
  { figure: 'bytes_per_socket_overhead', description: 'extra heap per idle authenticated socket', threshold: '<= 1024 B', met: (v) => v <= 1024 },
  { figure: 'revocation_p99_ms', description: 'revocation fan-out through Redis, p99', threshold: '<= 50 ms', met: (v) => v <= 50 },
  // "Flat": within 10 % (the noise of one run on a shared 2-core machine is about that).
  { figure: 'handshake_cost_ratio_10k_vs_100', description: 'server CPU per handshake, 10k vs 100 live sockets', threshold: '<= 1.10 (flat)', met: (v) => v <= 1.1 },
  // Nest's WsAdapter without auth is not flat either (BENCHMARKS.md): this is what ws-auth adds to that growth.
  {
    figure: 'handshake_cost_growth_over_nest_10k_vs_100',
    description: "the same, over Nest WsAdapter's own ratio (unauthenticated sockets)",
    threshold: '<= 1.10 (flat)',
    met: (v) => v <= 1.1,
  },
];

export type TargetVerdict = 'met' | 'missed' | 'not measured';

export function judge(target: Target, figures: Figures): TargetVerdict {
  const value = figures[target.figure];
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'not measured';
  }
  return target.met(value) ? 'met' : 'missed';
}
