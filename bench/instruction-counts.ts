// Instructions the server executes per handshake, counted by callgrind: the
// same count for the same work, whatever else the machine is doing, where
// rates and CPU times on a shared 2-vCPU VM drift by 10 to 30 % between runs.
// Each scenario's server runs under valgrind, warms up uncounted, counts
// during one run of handshakes, and exits. Run: npm run bench:instructions
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSettings } from './bench-settings.js';
import { benchLog } from './suites/bench-log.js';
import { HandshakeLoadProcess } from './suites/handshake-run.js';
import { HANDSHAKE_SCENARIOS, handshakeServers } from './suites/handshake-scenarios.js';
import { makeBenchIssuer } from './support/bench-issuer-keys.js';
import { BenchServerProcess } from './support/bench-server-process.js';
import { machineInfo } from './support/machine.js';

/**
 * The handshake suite's scenarios that need nothing outside the server:
 * Redis would be counted in another process, and an issuer's keys are
 * RS256 through WebCrypto, another story (BENCHMARKS.md).
 */
const COUNTED = ['nest', 'floor_jwt', 'header', 'protocol', 'ticket_memory'];
const SCENARIOS = HANDSHAKE_SCENARIOS.filter((scenario) => COUNTED.includes(scenario.name));
// The server configurations by name; no scenario counted here uses Redis or the issuer.
const { issuer, signer } = makeBenchIssuer();
const SERVERS = handshakeServers(0, issuer);

/**
 * The same number of handshakes of every server, counted or not: an
 * instruction count depends on how warm the JIT is and over how many
 * handshakes fixed costs (timers, GC cycles) are spread, so both are fixed
 * by count, not by time. Under valgrind a server manages 100 to 200 per second.
 */
const LOAD: BenchSettings['handshake'] = { rounds: 1, warmupMs: 0, durationMs: 0, concurrency: 4, users: 200 };
const WARMUP_HANDSHAKES = 3000;
const COUNTED_HANDSHAKES = 2000;
/** A bound, not a target: a server that stops answering ends the run. */
const RUN_TIMEOUT_MS = 120_000;

const only = process.argv.find((arg) => arg.startsWith('--scenarios='))?.slice('--scenarios='.length).split(',');
// --keep: the callgrind files stay in bench/profiles, for `callgrind_annotate` (native frames; V8's generated code is anonymous there).
const keep = process.argv.includes('--keep');
const dir = keep ? fileURLToPath(new URL('../../../bench/profiles/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'ws-auth-callgrind-'));
mkdirSync(dir, { recursive: true });
const figures: Record<string, number> = {};
try {
  for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
    const outFile = join(dir, `callgrind-${scenario.name}.out`);
    benchLog(`instructions: ${scenario.name}: starting the server under callgrind`);
    const server = await BenchServerProcess.start(`server-${scenario.name}`, SERVERS[scenario.server], { callgrindOutFile: outFile });
    const credential = (count: number) => scenario.credential({ server, signer, ticketsNeeded: count });
    const load = await HandshakeLoadProcess.start(server, scenario.path, LOAD);
    let completed = 0;
    try {
      // Uncounted: the JIT tiers the handshake path up, caches fill.
      await load.handshakes(await credential(WARMUP_HANDSHAKES), WARMUP_HANDSHAKES, RUN_TIMEOUT_MS);
      const counted = await credential(COUNTED_HANDSHAKES);
      callgrind(['--instr=on', String(server.pid)]);
      const run = await load.handshakes(counted, COUNTED_HANDSHAKES, RUN_TIMEOUT_MS);
      callgrind(['--instr=off', String(server.pid)]);
      completed = run.completed;
      if (run.failed > 0 || completed !== COUNTED_HANDSHAKES) {
        throw new Error(`${scenario.name}: ${completed} of ${COUNTED_HANDSHAKES} handshakes completed, ${run.failed} failed`);
      }
    } finally {
      await load.stop();
      await server.stop(); // callgrind writes its counts at exit
    }
    const instructions = totalInstructions(outFile);
    figures[`instructions_per_handshake_${scenario.name}`] = Math.round(instructions / completed);
    benchLog(`instructions: ${scenario.name}: ${completed} handshakes, ${Math.round(instructions / completed)} instructions each`);
  }
} finally {
  if (!keep) {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = figures.instructions_per_handshake_nest;
const floor = figures.instructions_per_handshake_floor_jwt;
for (const scenario of SCENARIOS) {
  const own = figures[`instructions_per_handshake_${scenario.name}`];
  if (own !== undefined && base !== undefined && scenario.name !== 'nest') {
    figures[`instructions_ratio_${scenario.name}`] = Math.round((own / base) * 1000) / 1000;
  }
  if (own !== undefined && floor !== undefined && ['header', 'protocol'].includes(scenario.name)) {
    figures[`instructions_ratio_${scenario.name}_vs_floor_jwt`] = Math.round((own / floor) * 1000) / 1000;
  }
}
const results = { generated_at: new Date().toISOString(), machine: machineInfo(), ...figures };
writeFileSync(new URL('../../../bench/results-instructions.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
console.log('| scenario | instructions per handshake | vs baseline |\n| --- | --- | --- |');
for (const scenario of SCENARIOS) {
  const own = figures[`instructions_per_handshake_${scenario.name}`];
  if (own !== undefined) {
    console.log(`| ${scenario.label} | ${own.toLocaleString('en')} | ${figures[`instructions_ratio_${scenario.name}`] ?? 1} |`);
  }
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
