import type { BenchSettings } from '../bench-settings.js';
import { GUARDED_PATH } from '../servers/server-config.js';
import { benchSessionId } from '../support/bench-credentials.js';
import { BenchRedis } from '../support/redis-server.js';
import { BenchServerProcess } from '../support/bench-server-process.js';
import { median, percentile, round } from '../support/stats.js';
import { benchLog } from './bench-log.js';
import type { SuiteResult } from './figures.js';
import { SocketHolderProcess } from './socket-holder-process.js';

/**
 * Two ws-auth instances sharing a Redis of the benchmark's own
 * (`RedisSessionStore`): a client holds sockets on instance B, instance A
 * revokes their sessions one at a time, and each latency runs from the
 * moment A calls `revokeSession()` to the moment the client sees the close
 * (4403). Clocks: one machine, `performance.timeOrigin + now()` in each process.
 */
export async function runRevocationSuite(settings: BenchSettings): Promise<SuiteResult> {
  const { sockets, warmup, perRun } = settings.revocation;
  const needed = warmup + settings.runs * perRun;
  const redis = await BenchRedis.start();
  const revoker = await BenchServerProcess.start('server-revoker', { kind: 'ws-auth', sessionsRedisPort: redis.port });
  const holderServer = await BenchServerProcess.start('server-holding', { kind: 'ws-auth', sessionsRedisPort: redis.port });
  const holder = await SocketHolderProcess.start(holderServer.url(GUARDED_PATH), { kind: 'header' });
  const runs: Array<{ p50Ms: number; p99Ms: number; latenciesMs: number[] }> = [];
  try {
    // Sockets are opened in batches: each revocation closes one, and a new
    // batch opens once all are closed (the holder numbers them on from n).
    let next = 0;
    const revokeNext = async (): Promise<number> => {
      if (next % sockets === 0) {
        await holder.open(sockets);
      }
      const n = next++;
      const closing = holder.awaitClose(n);
      const { startedAt } = await revoker.revoke(benchSessionId(n));
      const { closedAt, code } = await closing;
      if (code !== 4403) {
        throw new Error(`revocation: socket ${n} closed with ${code}, not 4403`);
      }
      return closedAt - startedAt;
    };
    for (let i = 0; i < warmup; i++) {
      await revokeNext();
    }
    for (let run = 0; run < settings.runs; run++) {
      const latenciesMs: number[] = [];
      for (let i = 0; i < perRun; i++) {
        latenciesMs.push(await revokeNext());
      }
      const result = { p50Ms: percentile(latenciesMs, 50), p99Ms: percentile(latenciesMs, 99), latenciesMs };
      runs.push(result);
      benchLog(`revocation run ${run + 1}/${settings.runs}: p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`);
    }
    if (next !== needed) {
      throw new Error('revocation: miscounted');
    }
  } finally {
    await holder.stop();
    await Promise.all([revoker.stop(), holderServer.stop()]);
    await redis.stop();
  }
  return {
    figures: {
      revocation_p50_ms: round(median(runs.map((run) => run.p50Ms)), 2),
      revocation_p99_ms: round(median(runs.map((run) => run.p99Ms)), 2),
      revocation_max_ms: round(Math.max(...runs.flatMap((run) => run.latenciesMs)), 2),
    },
    runs: { revocation: runs.map(({ p50Ms, p99Ms, latenciesMs }) => ({ p50Ms, p99Ms, samples: latenciesMs.length })) },
  };
}
