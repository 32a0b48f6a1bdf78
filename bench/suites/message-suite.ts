import type { BenchSettings } from '../bench-settings.js';
import type { ClientCredential } from '../load/client-credential.js';
import type { MessageLoadConfig, MessageRunResult } from '../load/message-load.js';
import { ALLOW_ALL_PATH, GUARDED_PATH, OPEN_PATH, type ServerConfig } from '../servers/server-config.js';
import { BenchChild } from '../support/bench-child.js';
import { BenchServerProcess } from '../support/bench-server-process.js';
import { median, round } from '../support/stats.js';
import { benchLog } from './bench-log.js';
import { roundOrder } from './round-order.js';
import type { Figures, SuiteResult } from './figures.js';

interface MessageScenario {
  readonly name: string;
  readonly server: 'bare' | 'nest' | 'ws-auth';
  readonly path: string;
  readonly credential: ClientCredential;
}

const SERVERS: Record<MessageScenario['server'], ServerConfig> = {
  bare: { kind: 'bare' },
  nest: { kind: 'nest' },
  'ws-auth': { kind: 'ws-auth' },
};

/**
 * The same echo handler five ways. The headline divides `guarded` by
 * `open_ws_auth`: the same handler unguarded in the same app and process,
 * so that only the guard differs. `allow_all_guard`, the handler behind a
 * guard that returns `true`, tells what any guard costs in Nest (its guard
 * pipeline per message) from what `WsAuthGuard` adds. Dividing by `unguarded` (the handler on
 * Nest's WsAdapter, another process) is reported too; across processes a
 * run carries each one's luck (in one full run the WsAdapter process spent
 * twice its usual CPU per message in every round).
 */
const SCENARIOS: readonly MessageScenario[] = [
  { name: 'bare', server: 'bare', path: OPEN_PATH, credential: { kind: 'none' } },
  { name: 'unguarded', server: 'nest', path: OPEN_PATH, credential: { kind: 'none' } },
  // Side by side, whichever way a round runs: the headline ratio compares them.
  { name: 'open_ws_auth', server: 'ws-auth', path: OPEN_PATH, credential: { kind: 'none' } },
  { name: 'guarded', server: 'ws-auth', path: GUARDED_PATH, credential: { kind: 'header' } },
  { name: 'allow_all_guard', server: 'ws-auth', path: ALLOW_ALL_PATH, credential: { kind: 'none' } },
];

export interface MessageRun {
  readonly rate: number;
  readonly cpuMicrosPerMessage: number;
  readonly eventLoopUtilization: number;
}

export async function runMessageSuite(settings: BenchSettings, cpuProfileDir?: string): Promise<SuiteResult> {
  const servers = new Map<string, BenchServerProcess>();
  const runs = new Map<string, MessageRun[]>(SCENARIOS.map((scenario) => [scenario.name, []]));
  // One load generator per scenario for every round, its sockets open throughout.
  const loads = new Map<string, BenchChild>();
  try {
    await Promise.all(
      Object.entries(SERVERS).map(async ([name, config]) =>
        servers.set(name, await BenchServerProcess.start(`server-${name}`, config, { cpuProfileDir })),
      ),
    );
    for (const scenario of SCENARIOS) {
      const server = servers.get(scenario.server)!;
      const config: MessageLoadConfig = {
        url: server.url(scenario.path),
        credential: scenario.credential,
        sockets: settings.message.sockets,
        window: settings.message.window,
      };
      const load = await BenchChild.start('message-load', 'load/message-load.js', config);
      loads.set(scenario.name, load);
      await load.request('open');
    }
    for (let round = 0; round < settings.message.rounds; round++) {
      for (const scenario of roundOrder(SCENARIOS, round)) {
        const run = await runMessages(servers.get(scenario.server)!, loads.get(scenario.name)!, settings.message);
        runs.get(scenario.name)!.push(run);
        benchLog(
          `message ${scenario.name} round ${round + 1}/${settings.message.rounds}: ${Math.round(run.rate)}/s, ` +
            `${run.cpuMicrosPerMessage.toFixed(1)} µs CPU, server ELU ${run.eventLoopUtilization.toFixed(2)}`,
        );
      }
    }
  } finally {
    await Promise.all([...loads.values()].map((load) => load.stop()));
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }

  const figures: Figures = {};
  const ratio = (name: string, base: string, of: (run: MessageRun) => number) =>
    round(median(runs.get(name)!.map((run, i) => of(run) / of(runs.get(base)![i]))), 3);
  figures.message_ratio_guarded = ratio('guarded', 'open_ws_auth', (run) => run.rate);
  figures.message_cpu_cost_ratio_guarded = ratio('guarded', 'open_ws_auth', (run) => run.cpuMicrosPerMessage);
  figures.message_ratio_allow_all_guard = ratio('allow_all_guard', 'open_ws_auth', (run) => run.rate);
  figures.message_cpu_cost_ratio_allow_all_guard = ratio('allow_all_guard', 'open_ws_auth', (run) => run.cpuMicrosPerMessage);
  figures.message_ratio_guarded_vs_allow_all_guard = ratio('guarded', 'allow_all_guard', (run) => run.rate);
  figures.message_cpu_cost_ratio_guarded_vs_allow_all_guard = ratio('guarded', 'allow_all_guard', (run) => run.cpuMicrosPerMessage);
  figures.message_ratio_guarded_vs_nest_ws_adapter = ratio('guarded', 'unguarded', (run) => run.rate);
  figures.message_cpu_cost_ratio_guarded_vs_nest_ws_adapter = ratio('guarded', 'unguarded', (run) => run.cpuMicrosPerMessage);
  for (const scenario of SCENARIOS) {
    const own = runs.get(scenario.name)!;
    figures[`message_rate_${scenario.name}`] = round(median(own.map((run) => run.rate)), 0);
    figures[`message_server_cpu_us_${scenario.name}`] = round(median(own.map((run) => run.cpuMicrosPerMessage)), 2);
    figures[`message_server_elu_${scenario.name}`] = round(median(own.map((run) => run.eventLoopUtilization)), 2);
  }
  return { figures, runs: Object.fromEntries(runs) };
}

/** A warm-up (discarded), then one measured run and what the server spent during it. */
export async function runMessages(server: BenchServerProcess, load: BenchChild, settings: BenchSettings['message']): Promise<MessageRun> {
  await load.request<MessageRunResult>('run', { durationMs: settings.warmupMs });
  const { result, spend } = await server.spendDuring(() => load.request<MessageRunResult>('run', { durationMs: settings.durationMs }));
  return {
    rate: (result.replies / result.elapsedMs) * 1000,
    cpuMicrosPerMessage: spend.cpuMicros / Math.max(1, result.replies),
    eventLoopUtilization: spend.eventLoopUtilization,
  };
}
