import type { BenchSettings } from '../bench-settings.js';
import { BenchServerProcess } from '../support/bench-server-process.js';
import { median, round } from '../support/stats.js';
import { benchLog } from './bench-log.js';
import type { Figures, SuiteResult } from './figures.js';
import { HandshakeLoadProcess, type HandshakeRun } from './handshake-run.js';
import { AUTHENTICATED_SOCKETS, UNAUTHENTICATED_SOCKETS, type IdleSocketKind } from './idle-socket-kinds.js';
import { roundOrder } from './round-order.js';
import { SocketHolderProcess } from './socket-holder-process.js';

/** Users of the idle sockets start here, far from the load generator's. */
const HELD_USERS_FROM = 1_000_000;

/** The two kinds of server compared: ws-auth with authenticated sockets, and Nest's WsAdapter with plain ones. */
interface LiveKind extends IdleSocketKind {
  readonly name: 'ws_auth' | 'nest';
}

const KINDS: readonly LiveKind[] = [
  { name: 'ws_auth', ...AUTHENTICATED_SOCKETS },
  { name: 'nest', ...UNAUTHENTICATED_SOCKETS },
];

interface LiveServer {
  readonly kind: LiveKind;
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
 *
 * The same pair of Nest `WsAdapter` servers holding unauthenticated sockets
 * runs beside them: what a handshake gains in cost from live sockets that
 * Node, `ws` and Nest keep anyway is not ws-auth's, and this tells the two apart.
 */
export async function runLiveSocketsSuite(settings: BenchSettings, cpuProfileDir?: string): Promise<SuiteResult> {
  const [few, many] = settings.liveSockets.counts;
  const lives: LiveServer[] = [];
  const runs: Record<string, HandshakeRun[]> = {};
  try {
    // Set up side by side (the servers' start-up is mostly waiting), in a fixed order for the rounds.
    const setups = KINDS.flatMap((kind) => [few, many].map((count) => ({ kind, count })));
    const started = await Promise.allSettled(
      setups.map(async ({ kind, count }) => {
        const server = await BenchServerProcess.start(`server-live-${kind.name}-${label(count)}`, kind.server, { cpuProfileDir });
        const holder = await SocketHolderProcess.start(server.url(kind.path), kind.credential, HELD_USERS_FROM);
        const load = await HandshakeLoadProcess.start(server, kind.path, settings.handshake);
        return { kind, count, server, holder, load };
      }),
    );
    for (const result of started) {
      if (result.status === 'fulfilled') {
        lives.push(result.value);
        runs[runKey(result.value.kind, result.value.count)] = [];
      }
    }
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      throw (failed as PromiseRejectedResult).reason;
    }
    for (const live of lives) {
      await live.holder.open(live.count);
      await live.load.measure(live.kind.credential, settings.handshake); // discarded: the server's warm-up
    }
    for (let i = 0; i < settings.handshake.rounds; i++) {
      for (const live of roundOrder(lives, i)) {
        const run = await live.load.measure(live.kind.credential, settings.handshake);
        runs[runKey(live.kind, live.count)].push(run);
        benchLog(
          `handshake (${live.kind.name}) with ${live.count} live sockets round ${i + 1}/${settings.handshake.rounds}: ${Math.round(run.rate)}/s, ` +
            `p99 ${run.p99Ms.toFixed(2)} ms, ${Math.round(run.cpuMicrosPerHandshake)} µs CPU, ` +
            `GC ${run.gcMinorMicrosPerHandshake.toFixed(1)} µs minor + ${run.gcMajorMicrosPerHandshake.toFixed(1)} µs major`,
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
  const figures: Figures = {};
  for (const kind of KINDS) {
    // `handshake_cost_ratio_10k_vs_100` is ws-auth's (the figure); the baseline's carries `_nest`.
    const suffix = kind.name === 'ws_auth' ? '' : `_${kind.name}`;
    const [fewRuns, manyRuns] = [runs[runKey(kind, few)], runs[runKey(kind, many)]];
    // Within each round, then the median, as for the other ratios.
    const perRound = (of: (run: HandshakeRun) => number) => median(manyRuns.map((run, i) => of(run) / of(fewRuns[i])));
    // Server CPU per handshake with many live sockets over the same with few: 1 is flat.
    figures[`handshake_cost_ratio_${label(many)}_vs_${label(few)}${suffix}`] = round(perRound((run) => run.cpuMicrosPerHandshake), 3);
    figures[`handshake_rate_ratio_${label(many)}_vs_${label(few)}${suffix}`] = round(perRound((run) => run.rate), 3);
    for (const count of [few, many]) {
      const countRuns = runs[runKey(kind, count)];
      const at = `live_${label(count)}${suffix}`;
      figures[`handshake_rate_${at}`] = round(median(countRuns.map((run) => run.rate)), 0);
      figures[`handshake_server_cpu_us_${at}`] = round(median(countRuns.map((run) => run.cpuMicrosPerHandshake)), 1);
      figures[`handshake_p99_ms_${at}`] = round(median(countRuns.map((run) => run.p99Ms)), 2);
      figures[`handshake_gc_minor_us_${at}`] = round(median(countRuns.map((run) => run.gcMinorMicrosPerHandshake)), 1);
      figures[`handshake_gc_major_us_${at}`] = round(median(countRuns.map((run) => run.gcMajorMicrosPerHandshake)), 1);
    }
  }
  // What ws-auth adds to the growth: its ratio over the baseline's, per round, then the median.
  const growth = (kind: LiveKind, i: number) =>
    runs[runKey(kind, many)][i].cpuMicrosPerHandshake / runs[runKey(kind, few)][i].cpuMicrosPerHandshake;
  const [wsAuth, nest] = KINDS;
  figures[`handshake_cost_growth_over_nest_${label(many)}_vs_${label(few)}`] = round(
    median(runs[runKey(wsAuth, many)].map((_, i) => growth(wsAuth, i) / growth(nest, i))),
    3,
  );
  return { figures, runs: { live_sockets: runs } };
}

function runKey(kind: LiveKind, count: number): string {
  return `${kind.name}_${count}`;
}

/** 100 → `100`, 10000 → `10k`. */
function label(count: number): string {
  return count >= 1000 && count % 1000 === 0 ? `${count / 1000}k` : String(count);
}
