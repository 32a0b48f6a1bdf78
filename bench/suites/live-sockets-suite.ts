import type { BenchSettings } from '../bench-settings.js';
import { GUARDED_PATH } from '../servers/server-config.js';
import { BenchServerProcess } from '../support/bench-server-process.js';
import { median, round } from '../support/stats.js';
import { benchLog } from './bench-log.js';
import type { Figures, SuiteResult } from './figures.js';
import { HandshakeLoadProcess, type HandshakeRun } from './handshake-run.js';
import { roundOrder } from './round-order.js';
import { SocketHolderProcess } from './socket-holder-process.js';

/** Users of the idle sockets start here, far from the load generator's. */
const HELD_USERS_FROM = 1_000_000;

interface LiveServer {
  readonly count: number;
  readonly server: BenchServerProcess;
  readonly holder: SocketHolderProcess;
  readonly load: HandshakeLoadProcess;
}

/**
 * Header handshakes on a ws-auth server that holds few idle authenticated
 * sockets, and on an identical one that holds many: the registry, the
 * deadline wheel and the heap all grow with them, and a handshake must not
 * get dearer for it. Two servers rather than one that grows, so that the
 * two counts can be measured in alternating rounds like every other
 * comparison here, and a slow spell of the machine falls on both.
 */
export async function runLiveSocketsSuite(settings: BenchSettings, cpuProfileDir?: string): Promise<SuiteResult> {
  const [few, many] = settings.liveSockets.counts;
  const lives: LiveServer[] = [];
  const runs: Record<number, HandshakeRun[]> = { [few]: [], [many]: [] };
  try {
    for (const count of [few, many]) {
      const server = await BenchServerProcess.start(`server-live-${label(count)}`, { kind: 'ws-auth' }, { cpuProfileDir });
      const holder = await SocketHolderProcess.start(server.url(GUARDED_PATH), { kind: 'header' }, HELD_USERS_FROM);
      const load = await HandshakeLoadProcess.start(server, GUARDED_PATH, settings.handshake);
      lives.push({ count, server, holder, load });
      await holder.open(count);
      await load.measure({ kind: 'header' }, settings.handshake); // discarded: the server's warm-up
    }
    for (let i = 0; i < settings.handshake.rounds; i++) {
      for (const live of roundOrder(lives, i)) {
        const run = await live.load.measure({ kind: 'header' }, settings.handshake);
        runs[live.count].push(run);
        benchLog(
          `handshake with ${live.count} live sockets round ${i + 1}/${settings.handshake.rounds}: ${Math.round(run.rate)}/s, ` +
            `p99 ${run.p99Ms.toFixed(2)} ms, ${Math.round(run.cpuMicrosPerHandshake)} µs CPU`,
        );
      }
    }
  } finally {
    for (const live of lives) {
      await live.load.stop();
      await live.holder.stop();
      await live.server.stop();
    }
  }
  // Within each round, then the median, as for the other ratios.
  const perRound = (of: (run: HandshakeRun) => number) => median(runs[many].map((run, i) => of(run) / of(runs[few][i])));
  const figures: Figures = {
    // Server CPU per handshake with many live sockets over the same with few: 1 is flat.
    [`handshake_cost_ratio_${label(many)}_vs_${label(few)}`]: round(perRound((run) => run.cpuMicrosPerHandshake), 3),
    [`handshake_rate_ratio_${label(many)}_vs_${label(few)}`]: round(perRound((run) => run.rate), 3),
  };
  for (const count of [few, many]) {
    figures[`handshake_rate_live_${label(count)}`] = round(median(runs[count].map((run) => run.rate)), 0);
    figures[`handshake_server_cpu_us_live_${label(count)}`] = round(median(runs[count].map((run) => run.cpuMicrosPerHandshake)), 1);
    figures[`handshake_p99_ms_live_${label(count)}`] = round(median(runs[count].map((run) => run.p99Ms)), 2);
  }
  return { figures, runs: { live_sockets: runs } };
}

/** 100 → `100`, 10000 → `10k`. */
function label(count: number): string {
  return count >= 1000 && count % 1000 === 0 ? `${count / 1000}k` : String(count);
}
