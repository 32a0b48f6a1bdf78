import type { BenchSettings } from '../bench-settings.js';
import { makeBenchIssuer } from '../support/bench-issuer-keys.js';
import { BenchServerProcess } from '../support/bench-server-process.js';
import { BenchRedis } from '../support/redis-server.js';
import { median, round } from '../support/stats.js';
import { benchLog } from './bench-log.js';
import { roundOrder } from './round-order.js';
import type { Figures, SuiteResult } from './figures.js';
import { HandshakeLoadProcess, ticketsPerRun, type HandshakeRun } from './handshake-run.js';
import {
  HANDSHAKE_BASELINE,
  HANDSHAKE_FLOOR,
  HANDSHAKE_SCENARIOS,
  handshakeServers,
  type HandshakeServerName,
} from './handshake-scenarios.js';

/**
 * Handshake throughput and latency of every scenario, in rounds: each round
 * runs every scenario once, so a slow spell of the machine hits all of them
 * alike, and each ratio is taken within a round before the median.
 */
export async function runHandshakeSuite(settings: BenchSettings, cpuProfileDir?: string, only?: readonly string[]): Promise<SuiteResult> {
  const redis = await BenchRedis.start();
  const { issuer, signer } = makeBenchIssuer();
  const servers = new Map<HandshakeServerName, BenchServerProcess>();
  // The baseline always runs: every ratio needs it.
  const scenarios = HANDSHAKE_SCENARIOS.filter(
    (scenario) => !scenario.pending && (!only || only.includes(scenario.name) || scenario.name === HANDSHAKE_BASELINE),
  );
  const runs = new Map<string, HandshakeRun[]>(scenarios.map((scenario) => [scenario.name, []]));
  const loads = new Map<string, HandshakeLoadProcess>();
  try {
    // Started together: Nest's start-up is mostly waiting on module loading.
    const configs = handshakeServers(redis.port, issuer);
    // Whose handshakes wait on Redis: its CPU is then part of what a handshake costs.
    const redisOf = (name: HandshakeServerName) => {
      const config = configs[name];
      return config.kind === 'ws-auth' && (config.tickets?.store === 'redis' || config.sessionsRedisPort !== undefined) ? redis : undefined;
    };
    await Promise.all(
      Object.entries(configs)
        .filter(([name]) => scenarios.some((scenario) => scenario.server === name))
        .map(async ([name, config]) =>
          servers.set(name as HandshakeServerName, await BenchServerProcess.start(`server-${name}`, config, { cpuProfileDir })),
        ),
    );
    await Promise.all(
      scenarios.map(async (scenario) => {
        const server = servers.get(scenario.server)!;
        loads.set(scenario.name, await HandshakeLoadProcess.start(server, scenario.path, settings.handshake, { users: scenario.users }));
      }),
    );
    for (let round = 0; round < settings.handshake.rounds; round++) {
      for (const scenario of roundOrder(scenarios, round)) {
        const server = servers.get(scenario.server)!;
        const lastRate = runs.get(scenario.name)!.at(-1)?.rate;
        const credential = await scenario.credential({ server, signer, ticketsNeeded: ticketsPerRun(settings.handshake, lastRate) });
        const run = await loads.get(scenario.name)!.measure(credential, settings.handshake, redisOf(scenario.server));
        runs.get(scenario.name)!.push(run);
        benchLog(
          `handshake ${scenario.name} round ${round + 1}/${settings.handshake.rounds}: ${Math.round(run.rate)}/s, ` +
            `p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, ` +
            `${Math.round(run.cpuMicrosPerHandshake)} µs CPU (${Math.round(run.systemCpuMicrosPerHandshake)} system), ` +
            `client ${Math.round(run.clientCpuMicrosPerHandshake)} µs` +
            `${run.redisCpuMicrosPerHandshake === undefined ? '' : `, redis ${Math.round(run.redisCpuMicrosPerHandshake)} µs, ${run.redisCommandsPerRead!.toFixed(2)} commands per read`}, ` +
            `server ELU ${run.eventLoopUtilization.toFixed(2)}${run.failed ? `, ${run.failed} FAILED` : ''}${run.exhausted ? ', tickets ran out' : ''}`,
        );
      }
    }
  } finally {
    await Promise.all([...loads.values()].map((load) => load.stop()));
    await Promise.all([...servers.values()].map((server) => server.stop()));
    await redis.stop();
  }

  const figures: Figures = {};
  const notMeasured: Record<string, string> = {};
  const baseline = runs.get(HANDSHAKE_BASELINE)!;
  for (const scenario of HANDSHAKE_SCENARIOS) {
    const ratioName = `handshake_ratio_${scenario.name}`;
    if (scenario.pending) {
      figures[`handshake_rate_${scenario.name}`] = null;
      figures[ratioName] = null;
      notMeasured[ratioName] = scenario.pending;
      continue;
    }
    const own = runs.get(scenario.name);
    if (!own) {
      continue; // left out by --scenarios
    }
    figures[`handshake_rate_${scenario.name}`] = round(median(own.map((run) => run.rate)), 0);
    figures[`handshake_p50_ms_${scenario.name}`] = round(median(own.map((run) => run.p50Ms)), 2);
    figures[`handshake_p99_ms_${scenario.name}`] = round(median(own.map((run) => run.p99Ms)), 2);
    figures[`handshake_server_cpu_us_${scenario.name}`] = round(median(own.map((run) => run.cpuMicrosPerHandshake)), 1);
    figures[`handshake_server_user_cpu_us_${scenario.name}`] = round(
      median(own.map((run) => run.cpuMicrosPerHandshake - run.systemCpuMicrosPerHandshake)),
      1,
    );
    figures[`handshake_server_elu_${scenario.name}`] = round(median(own.map((run) => run.eventLoopUtilization)), 2);
    figures[`handshake_server_gc_us_${scenario.name}`] = round(
      median(own.map((run) => run.gcMinorMicrosPerHandshake + run.gcMajorMicrosPerHandshake)),
      1,
    );
    // What one handshake costs the whole machine: server, load generator and, where used, redis-server.
    figures[`handshake_client_cpu_us_${scenario.name}`] = round(median(own.map((run) => run.clientCpuMicrosPerHandshake)), 1);
    if (own.some((run) => run.redisCpuMicrosPerHandshake !== undefined)) {
      figures[`handshake_redis_cpu_us_${scenario.name}`] = round(median(own.map((run) => run.redisCpuMicrosPerHandshake ?? Number.NaN)), 1);
      figures[`handshake_redis_commands_per_read_${scenario.name}`] = round(median(own.map((run) => run.redisCommandsPerRead ?? Number.NaN)), 2);
    }
    figures[`handshake_machine_cpu_us_${scenario.name}`] = round(median(own.map(machineCpuMicros)), 1);
    figures[`handshake_failed_${scenario.name}`] = own.reduce((sum, run) => sum + run.failed, 0);
    if (scenario.name !== HANDSHAKE_BASELINE) {
      figures[ratioName] = round(median(own.map((run, i) => run.rate / baseline[i].rate)), 3);
      // The same comparison in server CPU per handshake (>1: dearer than the baseline).
      figures[`handshake_cpu_cost_ratio_${scenario.name}`] = round(
        median(own.map((run, i) => run.cpuMicrosPerHandshake / baseline[i].cpuMicrosPerHandshake)),
        3,
      );
      // User CPU alone: the system part on loopback carries the client's TCP work and wake-ups.
      const user = (run: HandshakeRun) => run.cpuMicrosPerHandshake - run.systemCpuMicrosPerHandshake;
      figures[`handshake_user_cpu_cost_ratio_${scenario.name}`] = round(median(own.map((run, i) => user(run) / user(baseline[i]))), 3);
      // All three processes' CPU over the baseline's: on a machine whose cores are all busy, the rate ratio tends to its inverse.
      figures[`handshake_machine_cpu_cost_ratio_${scenario.name}`] = round(
        median(own.map((run, i) => machineCpuMicros(run) / machineCpuMicros(baseline[i]))),
        3,
      );
    }
  }
  // What ws-auth adds beyond the one verification any app must do (the floor scenario), round by round.
  const floor = runs.get(HANDSHAKE_FLOOR);
  for (const name of ['header', 'protocol']) {
    const own = runs.get(name);
    if (floor?.length && own?.length) {
      figures[`handshake_ratio_${name}_vs_${HANDSHAKE_FLOOR}`] = round(median(own.map((run, i) => run.rate / floor[i].rate)), 3);
      figures[`handshake_cpu_cost_ratio_${name}_vs_${HANDSHAKE_FLOOR}`] = round(
        median(own.map((run, i) => run.cpuMicrosPerHandshake / floor[i].cpuMicrosPerHandshake)),
        3,
      );
    }
  }
  return { figures, runs: Object.fromEntries(runs), notMeasured };
}

/** CPU per handshake of every process the scenario runs on the machine. */
function machineCpuMicros(run: HandshakeRun): number {
  return run.cpuMicrosPerHandshake + run.clientCpuMicrosPerHandshake + (run.redisCpuMicrosPerHandshake ?? 0);
}
