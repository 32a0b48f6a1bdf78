// Instructions the server executes per handshake, counted by callgrind: the
// same count for the same work, whatever else the machine is doing, where
// rates and CPU times on a shared 2-vCPU VM drift by 10 to 30 % between runs.
// Each scenario's server runs under valgrind, warms up uncounted, counts
// during a fixed number of handshakes, and exits; every scenario is counted
// in several runs (alternating order) and reported as the median.
// Run: npm run bench:instructions [-- --runs=N --scenarios=a,b --keep]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSettings } from './bench-settings.js';
import { callgrindBreakdown } from './report/callgrind-breakdown.js';
import { breakdownTable, instructionTable } from './report/instruction-table.js';
import { replaceBenchmarksMdSection } from './report/benchmarks-md-section.js';
import { benchLog } from './suites/bench-log.js';
import { HandshakeLoadProcess } from './suites/handshake-run.js';
import {
  HANDSHAKE_BASELINE,
  HANDSHAKE_FLOOR,
  HANDSHAKE_SCENARIOS,
  HANDSHAKE_VERIFIER_FLOOR,
  handshakeServers,
  type HandshakeScenario,
} from './suites/handshake-scenarios.js';
import { roundOrder } from './suites/round-order.js';
import { makeBenchIssuer } from './support/bench-issuer-keys.js';
import { BenchServerProcess } from './support/bench-server-process.js';
import { machineInfo } from './support/machine.js';
import { median } from './support/stats.js';

/**
 * The handshake suite's scenarios whose work is all in the server process:
 * a Redis ticket's work is partly in `redis-server`, which callgrind does
 * not see (its rate is `npm run bench`'s).
 */
const COUNTED = [
  'nest',
  'floor_jwt',
  HANDSHAKE_VERIFIER_FLOOR,
  'header',
  'header_seen',
  'protocol',
  'ticket_memory',
  'issuer_rs256',
  'issuer_es256',
];
const { issuer, signer } = makeBenchIssuer();
// The server configurations by name; no scenario counted here uses Redis.
const SERVERS = handshakeServers(0, issuer);

/**
 * The same number of handshakes of every server, counted or not: an
 * instruction count depends on how warm the JIT is and over how many
 * handshakes fixed costs (timers, GC cycles) are spread, so both are fixed
 * by count, not by time. Under valgrind a server manages 50 to 200 per second.
 */
/** What a committed run uses; other lengths are a quick look, written beside the committed figures. */
const STANDARD = { concurrency: 1, warmup: 6000, counted: 2000 } as const;
const CONCURRENCY = numberArg('concurrency', STANDARD.concurrency);
const LOAD: BenchSettings['handshake'] = { rounds: 1, warmupMs: 0, durationMs: 0, concurrency: CONCURRENCY, users: 200 };
/** Long enough that TurboFan has nothing left to compile (`--trace-opt`: one or two functions per 2,000 handshakes after 6,000). */
const WARMUP_HANDSHAKES = numberArg('warmup', STANDARD.warmup);
const COUNTED_HANDSHAKES = numberArg('counted', STANDARD.counted);
/**
 * What makes a count repeat, given to every server alike. Valgrind runs one
 * thread at a time, so V8's background work (concurrent marking and
 * sweeping, TurboFan jobs) landed in or out of the counted window by
 * scheduling, and time-driven collections (the memory reducer starts a full
 * GC seconds after allocation slows) by how fast valgrind happened to run:
 * the same build's baseline counted 318k to 383k. With GC and compilation on
 * the main thread and the heap's growth fixed, the baseline repeats within
 * about 1 %. One handshake at a time (concurrency 1) for the same reason:
 * with several in flight, how many one event-loop turn handles depends on
 * timing, and so does what each handshake pays of the turn.
 *
 * A full collection (mark-compact) of a Nest server's heap is about 100
 * million instructions, and one fell every few thousand handshakes: in a
 * window of 2,000 it added 0 or 50k per handshake, by chance. So the old
 * generation is given room enough that no run reaches a full collection
 * (forcing one with `gc()` before each window instead left V8 colder and
 * tripled the counts): the counts hold every young-generation collection
 * the handshakes' garbage causes, and no full one. What a socket keeps
 * alive is measured apart, in heap bytes per idle socket (`npm run bench`).
 *
 * `--perf-basic-prof` names V8's generated code for the breakdown by kind.
 */
const COUNTING_NODE_FLAGS = [
  '--single-threaded-gc',
  '--no-concurrent-recompilation',
  '--predictable-gc-schedule',
  '--initial-old-space-size=2048',
  '--perf-basic-prof',
];
/**
 * Handshakes per batch. Single-use credentials (tickets, issuer tokens) are
 * made just before their batch, uncounted: a ticket lives 30 s, and a
 * server under valgrind on a loaded machine took longer than that to redeem
 * 2,000 made at once.
 */
const BATCH = 250;
/** A bound, not a target: a server that stops answering ends the run. */
const RUN_TIMEOUT_MS = 120_000;
const RUNS = numberArg('runs', 3);

const only = process.argv.find((arg) => arg.startsWith('--scenarios='))?.slice('--scenarios='.length).split(',');
// --keep: the callgrind files stay in bench/profiles, for `callgrind_annotate` (native frames; V8's generated code is anonymous there).
const keep = process.argv.includes('--keep');
const dir = keep ? fileURLToPath(new URL('../../../bench/profiles/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'ws-auth-callgrind-'));
mkdirSync(dir, { recursive: true });
const scenarios = HANDSHAKE_SCENARIOS.filter((scenario) => COUNTED.includes(scenario.name) && (!only || only.includes(scenario.name)));
/** Instructions per handshake of each scenario, one entry per run (`undefined`: that run failed). */
const counts = new Map<string, Array<number | undefined>>(scenarios.map((scenario) => [scenario.name, []]));
/** The same counts by kind of work (`callgrindBreakdown`), per handshake, one entry per counted run. */
const breakdowns = new Map<string, Array<Record<string, number>>>(scenarios.map((scenario) => [scenario.name, []]));
/** ws-auth's own JavaScript functions by their instructions per handshake, one entry per counted run. */
const ownFunctions = new Map<string, Array<Record<string, number>>>(scenarios.map((scenario) => [scenario.name, []]));
try {
  for (let run = 0; run < RUNS; run++) {
    for (const scenario of roundOrder(scenarios, run)) {
      const outFile = join(dir, `callgrind-${scenario.name}-${run + 1}.out`);
      let perHandshake: number | undefined;
      try {
        perHandshake = await countScenario(scenario, outFile);
        benchLog(`instructions: ${scenario.name} run ${run + 1}/${RUNS}: ${perHandshake} per handshake`);
      } catch (error) {
        // One failed run (a server that fell behind) leaves the others' medians standing; it is reported.
        benchLog(`instructions: ${scenario.name} run ${run + 1}/${RUNS} FAILED: ${(error as Error).message}`);
      }
      counts.get(scenario.name)!.push(perHandshake);
    }
  }
} finally {
  if (!keep) {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One server under valgrind: warm-up uncounted, then COUNTED_HANDSHAKES counted; instructions per handshake. */
async function countScenario(scenario: HandshakeScenario, outFile: string): Promise<number> {
  const server = await BenchServerProcess.start(`server-${scenario.name}`, SERVERS[scenario.server], {
    callgrindOutFile: outFile,
    nodeFlags: COUNTING_NODE_FLAGS,
  });
  const load = await HandshakeLoadProcess.start(server, scenario.path, LOAD, { users: scenario.users });
  let completed = 0;
  try {
    // Uncounted: the JIT tiers the handshake path up, caches fill.
    await inBatches(scenario, server, load, WARMUP_HANDSHAKES, false);
    completed = await inBatches(scenario, server, load, COUNTED_HANDSHAKES, true);
  } finally {
    await load.stop();
    await server.stop(); // callgrind writes its counts at exit
  }
  const { byKind, byFunction } = callgrindBreakdown(outFile, keep);
  const perHandshake = (entries: Record<string, number>, min = 0) =>
    Object.fromEntries(Object.entries(entries).map(([name, count]) => [name, Math.round(count / completed)]).filter(([, count]) => (count as number) >= min));
  breakdowns.get(scenario.name)!.push(perHandshake(byKind));
  ownFunctions.get(scenario.name)!.push(perHandshake(Object.fromEntries(Object.entries(byFunction).filter(([name]) => name.includes('/libs/ws-auth/'))), 20));
  return Math.round(totalInstructions(outFile) / completed);
}

/** `total` handshakes in batches, each batch's single-use credentials made just before it; counted ones must all succeed. */
async function inBatches(scenario: HandshakeScenario, server: BenchServerProcess, load: HandshakeLoadProcess, total: number, counted: boolean): Promise<number> {
  let completed = 0;
  for (let done = 0; done < total; done += BATCH) {
    const size = Math.min(BATCH, total - done);
    const credential = await scenario.credential({ server, signer, ticketsNeeded: size });
    if (counted) {
      callgrind(['--instr=on', String(server.pid)]);
    }
    const result = await load.handshakes(credential, size, RUN_TIMEOUT_MS);
    if (counted) {
      callgrind(['--instr=off', String(server.pid)]);
      if (result.failed > 0 || result.completed !== size) {
        throw new Error(`${result.completed} of ${size} handshakes completed, ${result.failed} failed`);
      }
    }
    completed += result.completed;
  }
  return completed;
}

const figures: Record<string, number> = {};
const medianOf = (values: Array<number | undefined>) => {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length > 0 ? Math.round(median(defined)) : undefined;
};
/** The median over runs of `of(run)`, for runs where every count it reads exists. */
const perRun = (of: (count: (name: string) => number | undefined) => number | undefined, digits: number) => {
  const values: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const value = of((name) => counts.get(name)?.[run]);
    if (value !== undefined && Number.isFinite(value)) {
      values.push(value);
    }
  }
  if (values.length === 0) {
    return undefined;
  }
  const factor = 10 ** digits;
  return Math.round(median(values) * factor) / factor;
};
const ratio = (a: string, b: string) => perRun((count) => divide(count(a), count(b)), 3);
const set = (name: string, value: number | undefined) => {
  if (value !== undefined) {
    figures[name] = value;
  }
};

for (const scenario of scenarios) {
  set(`instructions_per_handshake_${scenario.name}`, medianOf(counts.get(scenario.name)!));
}
for (const scenario of scenarios) {
  if (scenario.name !== HANDSHAKE_BASELINE) {
    set(`instructions_ratio_${scenario.name}`, ratio(scenario.name, HANDSHAKE_BASELINE));
  }
}
for (const name of ['header', 'protocol']) {
  set(`instructions_ratio_${name}_vs_${HANDSHAKE_FLOOR}`, ratio(name, HANDSHAKE_FLOOR));
}
// Issue 16's names, each the median over runs of a ratio taken within one run.
for (const name of ['header', 'header_seen', 'protocol', 'ticket_memory', 'issuer_rs256', 'issuer_es256']) {
  set(`ratio_${name}`, ratio(name, HANDSHAKE_BASELINE));
}
set('ratio_protocol_vs_header', ratio('protocol', 'header'));
set('ratio_ticket_memory_vs_header', ratio('ticket_memory', 'header'));
// ws-auth's own work: a header handshake minus the baseline and the verification it does,
// both counted in the same run (the verifier floor is exactly baseline + JwtVerifier.verify()).
set('own_instructions_header', perRun((count) => difference(count('header'), count(HANDSHAKE_VERIFIER_FLOOR)), 0));
set('own_instructions_header_seen', perRun((count) => difference(count('header_seen'), count(HANDSHAKE_BASELINE)), 0));
set('own_instructions_protocol', perRun((count) => difference(count('protocol'), count(HANDSHAKE_VERIFIER_FLOOR)), 0));
// A ticket is redeemed by ws-auth itself: all it adds to the baseline is its own.
set('own_instructions_ticket_memory', perRun((count) => difference(count('ticket_memory'), count(HANDSHAKE_BASELINE)), 0));
set('verifier_instructions', perRun((count) => difference(count(HANDSHAKE_VERIFIER_FLOOR), count(HANDSHAKE_BASELINE)), 0));

const generatedAt = new Date().toISOString();
const machine = machineInfo();
// Medians of at least three runs of the standard length: what the committed figures are made of
// (with --scenarios, of those scenarios only; `scenarios` in the file says which).
const complete =
  RUNS >= 3 && WARMUP_HANDSHAKES === STANDARD.warmup && COUNTED_HANDSHAKES === STANDARD.counted && CONCURRENCY === STANDARD.concurrency;
const results = {
  generated_at: generatedAt,
  machine,
  runs: RUNS,
  scenarios: scenarios.map((scenario) => scenario.name),
  warmup_handshakes: WARMUP_HANDSHAKES,
  counted_handshakes: COUNTED_HANDSHAKES,
  concurrency: CONCURRENCY,
  node_flags: COUNTING_NODE_FLAGS.join(' '),
  ...figures,
  instructions_per_run: Object.fromEntries(counts),
  // Where the instructions go, by kind of native frame: the median of each kind over the runs.
  instructions_by_kind: Object.fromEntries(
    [...breakdowns].map(([name, runs]) => [
      name,
      Object.fromEntries([...new Set(runs.flatMap(Object.keys))].map((kind) => [kind, medianOf(runs.map((run) => run[kind] ?? 0))])),
    ]),
  ),
  // ws-auth's own JavaScript (its functions' own instructions, not what they call), the median of each over the runs.
  ws_auth_functions: Object.fromEntries(
    [...ownFunctions].map(([name, runs]) => [
      name,
      Object.fromEntries(
        [...new Set(runs.flatMap(Object.keys))]
          .map((fn) => [fn.replace(/ \/.*\/libs\/ws-auth\/dist\/[a-z]+\//, ' '), medianOf(runs.map((run) => run[fn] ?? 0)) ?? 0] as const)
          .sort((a, b) => b[1] - a[1]),
      ),
    ]),
  ),
};
// Only a complete run replaces the committed figures; any other is written beside them, untracked.
const stem = complete ? 'results-instructions' : 'results-instructions.partial';
writeFileSync(new URL(`../../../bench/${stem}.json`, import.meta.url), JSON.stringify(results, null, 2) + '\n');
const table = [instructionTable(figures, RUNS, machine, generatedAt.slice(0, 10)), breakdownTable(results.instructions_by_kind)].join('\n');
console.log(table);
if (complete) {
  replaceBenchmarksMdSection('instructions', table);
}
benchLog(`instructions: bench/${stem}.json${complete ? ', BENCHMARKS.md' : ''}`);

function divide(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

function difference(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

function numberArg(name: string, fallback: number): number {
  const raw = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name} must be a whole number, at least 1`);
  }
  return value;
}

function callgrind(args: string[]): void {
  execFileSync('callgrind_control', args, { stdio: 'ignore' });
}

/**
 * The `totals:` line of a callgrind output file: instructions executed while
 * instrumented. (Its `summary:` line counts only the part before the first
 * toggle, 0 here.)
 */
function totalInstructions(file: string): number {
  const text = readFileSync(file, 'utf8');
  const line = /^totals: (\d+)/m.exec(text);
  if (!line) {
    throw new Error(`no totals in ${file}`);
  }
  return Number(line[1]);
}
