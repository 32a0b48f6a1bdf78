import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FULL_SETTINGS, QUICK_SETTINGS } from './bench-settings.js';
import type { BenchReport } from './report/bench-report.js';
import { resultsJson } from './report/bench-report.js';
import { markdownReport } from './report/markdown-report.js';
import { machineInfo } from './support/machine.js';
import { replaceBenchmarksMdSection } from './report/benchmarks-md-section.js';
import { benchLog } from './suites/bench-log.js';
import type { SuiteResult } from './suites/figures.js';
import { runHandshakeSuite } from './suites/handshake-suite.js';
import { runLiveSocketsSuite } from './suites/live-sockets-suite.js';
import { runMemorySuite } from './suites/memory-suite.js';
import { runMessageSuite } from './suites/message-suite.js';
import { runRevocationSuite } from './suites/revocation-suite.js';
import { runSocketIoSuite } from './suites/socket-io-suite.js';
import { runScaleOutSuite } from './suites/scale-out-suite.js';

/**
 * `npm run bench` / `npm run bench:quick`. Runs every suite, prints the
 * tables, writes bench/results.json and the results section of
 * BENCHMARKS.md (full runs of every suite only; other runs write
 * bench/results.<mode>.json, untracked). Reports; never fails on a figure.
 *
 * Flags: --quick, --only=handshake,message,memory,live,revocation,socket.io,scale-out,
 * --scenarios=nest,header,... (a subset of the handshake scenarios),
 * --cpu-prof (V8 CPU profiles of the servers, in bench/profiles),
 * --heap-snapshot (a heap snapshot of each memory server with N sockets open).
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SUITES = ['handshake', 'message', 'memory', 'live', 'revocation', 'socket.io', 'scale-out'] as const;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    scenarios: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'heap-snapshot': { type: 'boolean', default: false },
  },
});
const settings = flags.quick ? QUICK_SETTINGS : FULL_SETTINGS;
const only = flags.only ? flags.only.split(',') : [...SUITES];
const unknown = only.filter((name) => !(SUITES as readonly string[]).includes(name));
if (unknown.length > 0) {
  throw new Error(`bench: unknown suite ${unknown.join(', ')}; known: ${SUITES.join(', ')}`);
}
const profileDir = `${REPO}bench/profiles`;
if (flags['cpu-prof'] || flags['heap-snapshot']) {
  mkdirSync(profileDir, { recursive: true });
}
const cpuProfileDir = flags['cpu-prof'] ? profileDir : undefined;

const started = Date.now();
const loadBefore = loadavg().map((load) => Math.round(load * 100) / 100);
const results: SuiteResult[] = [];
const run = async (name: (typeof SUITES)[number], suite: () => Promise<SuiteResult>) => {
  if (!only.includes(name)) {
    return;
  }
  const t0 = Date.now();
  results.push(await suite());
  benchLog(`${name} suite done in ${Math.round((Date.now() - t0) / 1000)} s`);
};
await run('handshake', () => runHandshakeSuite(settings, cpuProfileDir, flags.scenarios?.split(',')));
await run('message', () => runMessageSuite(settings, cpuProfileDir));
await run('memory', () => runMemorySuite(settings, flags['heap-snapshot'] ? profileDir : undefined));
await run('live', () => runLiveSocketsSuite(settings, cpuProfileDir));
await run('revocation', () => runRevocationSuite(settings));
await run('socket.io', () => runSocketIoSuite(settings, cpuProfileDir));
await run('scale-out', () => runScaleOutSuite(settings));

const complete = only.length === SUITES.length && !flags.scenarios;
const report: BenchReport = {
  generatedAt: new Date().toISOString(),
  mode: !complete ? 'partial' : settings.mode,
  machine: machineInfo(),
  loadAverage: { before: loadBefore, after: loadavg().map((load) => Math.round(load * 100) / 100) },
  figures: Object.assign({}, ...results.map((result) => result.figures)),
  notMeasured: Object.assign({}, ...results.map((result) => result.notMeasured ?? {})),
  runs: Object.assign({}, ...results.map((result) => result.runs)),
};
const markdown = markdownReport(report);
process.stdout.write(markdown);

const official = report.mode === 'full';
const stem = official ? 'results' : `results.${report.mode}`;
writeFileSync(`${REPO}bench/${stem}.json`, resultsJson(report));
writeFileSync(`${REPO}bench/${stem}.runs.json`, JSON.stringify({ generated_at: report.generatedAt, runs: report.runs }, null, 2) + '\n');
if (official) {
  replaceBenchmarksMdSection('results', markdown);
}
benchLog(`done in ${Math.round((Date.now() - started) / 1000)} s: bench/${stem}.json${official ? ', BENCHMARKS.md' : ''}`);
