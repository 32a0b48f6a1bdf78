import type { BenchSettings } from '../bench-settings.js';
import type { ClientCredential } from '../load/client-credential.js';
import type { HandshakeLoadConfig, HandshakeRunResult } from '../load/handshake-load.js';
import { BenchChild } from '../support/bench-child.js';
import type { BenchServerProcess } from '../support/bench-server-process.js';

/** One measured run of handshakes against one server. */
export interface HandshakeRun {
  /** Handshakes completed per second. */
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  /** The run ran out of tickets before its end (see `ticketsNeeded`). */
  readonly exhausted: boolean;
  /** Server CPU time per completed handshake (µs): the cost, whoever the bottleneck was. */
  readonly cpuMicrosPerHandshake: number;
  readonly eventLoopUtilization: number;
}

/** Handshakes per second no run here comes near: single-use tickets are minted for this rate. */
const TICKETS_PER_SECOND = 5000;

/** Tickets one run (warm-up and measure) can use up. */
export function ticketsPerRun(settings: BenchSettings['handshake']): number {
  return Math.ceil(((settings.warmupMs + settings.durationMs) / 1000) * TICKETS_PER_SECOND);
}

/**
 * Forks a load generator against `url`, lets it warm up (discarded), then
 * measures one run and what the server spent during it.
 */
export async function runHandshakes(
  server: BenchServerProcess,
  url: string,
  credential: ClientCredential,
  settings: BenchSettings['handshake'],
  options: { firstUser?: number; users?: number } = {},
): Promise<HandshakeRun> {
  const config: HandshakeLoadConfig = {
    url,
    credential,
    concurrency: settings.concurrency,
    users: options.users ?? settings.users,
    firstUser: options.firstUser ?? 0,
  };
  const load = await BenchChild.start('handshake-load', 'load/handshake-load.js', config);
  try {
    await load.request<HandshakeRunResult>('run', { durationMs: settings.warmupMs });
    const { result, spend } = await server.spendDuring(() => load.request<HandshakeRunResult>('run', { durationMs: settings.durationMs }));
    return {
      rate: (result.completed / result.elapsedMs) * 1000,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      failed: result.failed,
      exhausted: result.exhausted,
      cpuMicrosPerHandshake: spend.cpuMicros / Math.max(1, result.completed),
      eventLoopUtilization: spend.eventLoopUtilization,
    };
  } finally {
    await load.stop();
  }
}
