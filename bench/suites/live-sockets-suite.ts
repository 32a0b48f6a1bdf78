import type { BenchSettings } from '../bench-settings.js';
import { GUARDED_PATH } from '../servers/server-config.js';
import { BenchServerProcess } from '../support/bench-server-process.js';
import { median, round } from '../support/stats.js';
import { benchLog } from './bench-log.js';
import type { Figures, SuiteResult } from './figures.js';
import { HandshakeLoadProcess, type HandshakeRun } from './handshake-run.js';
import { SocketHolderProcess } from './socket-holder-process.js';

/** Users of the idle sockets start here, far from the load generator's. */
const HELD_USERS_FROM = 1_000_000;

/**
 * Header handshakes on a ws-auth server that holds few, then many, idle
 * authenticated sockets: the registry, the deadline wheels and the heap all
 * grow with them, and a handshake must not get dearer for it.
 */
export async function runLiveSocketsSuite(settings: BenchSettings, cpuProfileDir?: string): Promise<SuiteResult> {
  const [few, many] = settings.liveSockets.counts;
  const server = await BenchServerProcess.start('server-live-sockets', { kind: 'ws-auth' }, { cpuProfileDir });
  const url = server.url(GUARDED_PATH);
  const holder = await SocketHolderProcess.start(url, { kind: 'header' }, HELD_USERS_FROM);
  const load = await HandshakeLoadProcess.start(server, GUARDED_PATH, settings.handshake);
  const runs: Record<string, HandshakeRun[]> = {};
  try {
    // A discarded run first: the first phase would otherwise also pay the
    // server's warm-up, and the ratio would flatter the second.
    await holder.open(few);
    await load.measure({ kind: 'header' }, settings.handshake);
    for (const count of [few, many]) {
      await holder.open(count);
      for (let i = 0; i < settings.runs; i++) {
        const run = await load.measure({ kind: 'header' }, settings.handshake);
        (runs[count] ??= []).push(run);
        benchLog(
          `handshake with ${count} live sockets run ${i + 1}/${settings.runs}: ${Math.round(run.rate)}/s, ` +
            `p99 ${run.p99Ms.toFixed(2)} ms, ${Math.round(run.cpuMicrosPerHandshake)} µs CPU`,
        );
      }
    }
  } finally {
    await load.stop();
    await holder.stop();
    await server.stop();
  }
  const cpu = (count: number) => median(runs[count].map((run) => run.cpuMicrosPerHandshake));
  const rate = (count: number) => median(runs[count].map((run) => run.rate));
  const figures: Figures = {
    // Server CPU per handshake with many live sockets over the same with few: 1 is flat.
    [`handshake_cost_ratio_${label(many)}_vs_${label(few)}`]: round(cpu(many) / cpu(few), 3),
    [`handshake_rate_ratio_${label(many)}_vs_${label(few)}`]: round(rate(many) / rate(few), 3),
  };
  for (const count of [few, many]) {
    figures[`handshake_rate_live_${label(count)}`] = round(rate(count), 0);
    figures[`handshake_server_cpu_us_live_${label(count)}`] = round(cpu(count), 1);
    figures[`handshake_p99_ms_live_${label(count)}`] = round(median(runs[count].map((run) => run.p99Ms)), 2);
  }
  return { figures, runs };
}

/** 100 → `100`, 10000 → `10k`. */
function label(count: number): string {
  return count >= 1000 && count % 1000 === 0 ? `${count / 1000}k` : String(count);
}
