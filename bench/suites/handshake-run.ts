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
  /** Server CPU time per completed handshake (µs): the cost, whoever the bottleneck was. */
  readonly cpuMicrosPerHandshake: number;
  readonly eventLoopUtilization: number;
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
  firstUser = 0,
): Promise<HandshakeRun> {
  const config: HandshakeLoadConfig = { url, credential, concurrency: settings.concurrency, users: settings.users, firstUser };
  const load = await BenchChild.start('handshake-load', 'load/handshake-load.js', config);
  try {
    await load.request<HandshakeRunResult>('run', { durationMs: settings.warmupMs });
    const { result, spend } = await server.spendDuring(() => load.request<HandshakeRunResult>('run', { durationMs: settings.durationMs }));
    return {
      rate: (result.completed / result.elapsedMs) * 1000,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      failed: result.failed,
      cpuMicrosPerHandshake: spend.cpuMicros / Math.max(1, result.completed),
      eventLoopUtilization: spend.eventLoopUtilization,
    };
  } finally {
    await load.stop();
  }
}
