import { setTimeout as sleep } from 'node:timers/promises';
import { RedisCluster } from '../../test/support/redis-cluster.js';
import type { BenchSettings } from '../bench-settings.js';
import { isSessionEventsChannel } from '../servers/pubsub-traffic.js';
import { GUARDED_PATH, TICKETED_PATH, type BenchRedisEndpoint } from '../servers/server-config.js';
import { benchSessionId } from '../support/bench-credentials.js';
import { BenchServerProcess } from '../support/bench-server-process.js';
import { countersBetween, RedisNodeProbe, type RedisNodeCounters, type RedisNodeSubscribers } from '../support/redis-node-stats.js';
import { BenchRedis } from '../support/redis-server.js';
import { StandInSubscribers } from '../support/stand-in-subscribers.js';
import { median, percentile, round } from '../support/stats.js';
import { benchLog } from './bench-log.js';
import type { Figures, SuiteResult } from './figures.js';
import { HandshakeLoadProcess, ticketsPerRun, type HandshakeRun } from './handshake-run.js';
import { roundOrder } from './round-order.js';
import { SocketHolderProcess } from './socket-holder-process.js';

/** The two ways to share Redis that are compared, in the same run. */
type SetupName = 'cluster' | 'single';

/** Revocations in flight at once in a burst, from one instance. */
const BURST_CONCURRENCY = 32;
/** How long every instance may take to hear a burst's last revocation. */
const BURST_DELIVERY_TIMEOUT_MS = 10_000;
/** The instances of one setup hold the sockets of users from here on, 100k apart (no two sockets share a session). */
const HELD_USERS_FROM: Record<SetupName, number> = { cluster: 2_000_000, single: 3_000_000 };
const USERS_PER_INSTANCE = 100_000;
/**
 * Redis idles (cluster bus gossip, cron, the instances' link probes, which on
 * a Cluster are SPUBLISHes): what its counters do over this long, pro rata,
 * is subtracted from a burst's.
 */
const IDLE_WINDOW_MS = 1000;

interface Setup {
  readonly name: SetupName;
  readonly servers: BenchServerProcess[];
  readonly holders: SocketHolderProcess[];
  readonly probes: RedisNodeProbe[];
  readonly ticketLoad: HandshakeLoadProcess;
  /** Per instance: the holder's index of the next socket to revoke (the lowest still open). */
  readonly nextSocket: number[];
  /** Per node: every counter's growth per ms while nothing but the background runs (gossip, cron, the links' probes). */
  idlePerMs: RedisNodeCounters[];
}

/** What one burst of revocations cost, in all (`perRevocation()` divides). */
interface Burst {
  readonly revocations: number;
  readonly subscribers: number;
  readonly elapsedMs: number;
  /** Per node (in the order of the setup's nodes), what the burst added over the node's idle background. */
  readonly nodes: ReadonlyArray<RedisNodeCounters & { readonly subscribers: number; readonly deliveries: number }>;
  /** Per instance: messages its subscriber connection received. */
  readonly instanceMessages: number[];
  /** Server CPU µs of an instance that only listened (not the revoking one). */
  readonly listenerCpuMicros: number;
  readonly standInMessages: number;
}

interface RoundRecord {
  readonly latenciesMs: number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly burst: Burst;
  /** The same burst with the stand-in subscribers beside the instances. */
  readonly standInBurst: Burst;
  readonly tickets: HandshakeRun;
}

/**
 * What scaling out costs: four ws-auth instances on a Redis Cluster of the
 * bench's own (three masters) against four on one redis-server, in the same
 * run, the four of each holding the same idle authenticated sockets between them.
 * Per round and setup, in alternating order:
 * - revocation fan-out latency: `revokeSession()` on one instance to 4403 on a
 *   socket another instance holds (they take turns at both ends);
 * - a burst of revocations fired back to back, counted on every Redis node
 *   (publishes, cluster bus messages, bytes out, CPU) and on every instance
 *   (pub/sub messages its subscriber received);
 * - the same burst with bare subscribers beside the instances: what each
 *   further subscriber costs Redis, from which BENCHMARKS.md works out a
 *   hundred instances;
 * - ticket handshakes on one instance, the tickets minted on another.
 */
export async function runScaleOutSuite(settings: BenchSettings): Promise<SuiteResult> {
  const config = settings.scaleOut;
  const perInstance = Math.floor(config.sockets / config.instances);
  const cluster = await RedisCluster.start(3);
  const single = await BenchRedis.start().catch(async (error) => {
    await cluster.stop();
    throw error;
  });
  const setups: Setup[] = [];
  const records: Record<SetupName, RoundRecord[]> = { cluster: [], single: [] };
  try {
    const endpoints: Array<[SetupName, BenchRedisEndpoint, number[]]> = [
      ['cluster', { kind: 'cluster', nodes: cluster.startupNodes }, cluster.nodes.map((node) => node.port)],
      ['single', { kind: 'single', port: single.port }, [single.port]],
    ];
    for (const [name, endpoint, ports] of endpoints) {
      setups.push(await startSetup(name, endpoint, ports, config.instances, settings));
    }
    // Opened one setup at a time: 2 cores, and the handshakes of one would slow the other's.
    for (const setup of setups) {
      await fillHolders(setup, perInstance);
      setup.idlePerMs = await idlePerMs(setup.probes);
      benchLog(`scale-out ${setup.name}: ${config.instances} instances hold ${perInstance * config.instances} sockets`);
    }
    // Warm-up, discarded: the first revocations and ticket handshakes of each instance compile their paths.
    for (const setup of setups) {
      await timeRevocations(setup, Math.min(20, config.revocationsPerRound));
      await burst(setup, 'warmup', Math.min(200, config.burst));
      await ticketRun(setup, settings, undefined);
      await fillHolders(setup, perInstance);
    }
    for (let i = 0; i < config.rounds; i++) {
      for (const setup of roundOrder(setups, i)) {
        const latenciesMs = await timeRevocations(setup, config.revocationsPerRound);
        await fillHolders(setup, perInstance);
        const measured = await burst(setup, `round-${i}`, config.burst);
        const standInBurst = await burstWithStandIns(setup, config.standInSubscribers, `round-${i}`, config.burst);
        const tickets = await ticketRun(setup, settings, records[setup.name].at(-1)?.tickets.rate);
        const record = { latenciesMs, p50Ms: percentile(latenciesMs, 50), p99Ms: percentile(latenciesMs, 99), burst: measured, standInBurst, tickets };
        records[setup.name].push(record);
        benchLog(
          `scale-out ${setup.name} round ${i + 1}/${config.rounds}: revocation p50 ${record.p50Ms.toFixed(2)} ms, p99 ${record.p99Ms.toFixed(2)} ms; ` +
            `${describeBurst(measured)}; with ${config.standInSubscribers} stand-ins, ${describeBurst(standInBurst)}; ` +
            `tickets ${Math.round(tickets.rate)}/s${tickets.failed ? `, ${tickets.failed} FAILED` : ''}`,
        );
      }
    }
  } finally {
    for (const setup of setups) {
      setup.probes.forEach((probe) => probe.close());
      await setup.ticketLoad.stop();
      await Promise.all(setup.holders.map((holder) => holder.stop()));
      await Promise.all(setup.servers.map((server) => server.stop()));
    }
    await Promise.all([cluster.stop(), single.stop()]);
  }
  return {
    figures: figuresOf(records, config.instances, config.standInSubscribers, perInstance * config.instances),
    runs: {
      scale_out: Object.fromEntries(
        Object.entries(records).map(([name, rounds]) => [
          name,
          rounds.map(({ latenciesMs, p50Ms, p99Ms, burst, standInBurst, tickets }) => ({
            p50Ms,
            p99Ms,
            samples: latenciesMs.length,
            // The slow tail, one by one: where a cluster bus crossing (classic pub/sub) shows.
            over10Ms: latenciesMs.filter((ms) => ms > 10).map((ms) => round(ms, 2)),
            burst,
            standInBurst,
            tickets,
          })),
        ]),
      ),
    },
  };
}

/** Handshakes refused while opening (a Redis command past its timeout on an overloaded machine: 503) are tried again, this often. */
const OPEN_ATTEMPTS = 3;

/**
 * Tops every holder of the setup up to `perInstance` sockets. A refusal is
 * the library failing closed (a store command past its bound), not a wrong
 * figure: the missing sockets are opened again, and said so.
 */
async function fillHolders(setup: Setup, perInstance: number): Promise<void> {
  await Promise.all(
    setup.holders.map(async (holder, i) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await holder.open(perInstance);
        } catch (error) {
          if (attempt >= OPEN_ATTEMPTS) {
            throw error;
          }
          benchLog(`scale-out ${setup.name} instance ${i}: ${(error as Error).message}; opening the rest again`);
        }
      }
    }),
  );
}

async function startSetup(name: SetupName, endpoint: BenchRedisEndpoint, ports: number[], instances: number, settings: BenchSettings): Promise<Setup> {
  const servers = await Promise.all(
    Array.from({ length: instances }, (_, i) => BenchServerProcess.start(`server-scale-out-${name}-${i}`, { kind: 'ws-auth', sharedRedis: endpoint })),
  );
  const holders = await Promise.all(
    servers.map((server, i) => SocketHolderProcess.start(server.url(GUARDED_PATH), { kind: 'header' }, HELD_USERS_FROM[name] + i * USERS_PER_INSTANCE)),
  );
  const ticketLoad = await HandshakeLoadProcess.start(servers[0], TICKETED_PATH, settings.handshake);
  const probes = await Promise.all(ports.map((port) => RedisNodeProbe.connect(port)));
  return { name, servers, holders, probes, ticketLoad, nextSocket: servers.map(() => 0), idlePerMs: [] };
}

/**
 * `count` revocations one after another: instance i + 1 revokes the session
 * of the next socket instance i holds, i taking turns, and each latency runs
 * from the `revokeSession()` call to the holder seeing 4403.
 */
async function timeRevocations(setup: Setup, count: number): Promise<number[]> {
  const instances = setup.servers.length;
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const holding = i % instances;
    let n = setup.nextSocket[holding]++;
    // Skips a socket whose handshake was refused (and opened again under another number).
    for (let skipped = 0; !(await setup.holders[holding].isHeld(n)); skipped++) {
      if (skipped > 100) {
        throw new Error(`scale-out ${setup.name}: instance ${holding} holds none of the sockets it should`);
      }
      n = setup.nextSocket[holding]++;
    }
    const closing = setup.holders[holding].awaitClose(n);
    const user = HELD_USERS_FROM[setup.name] + holding * USERS_PER_INSTANCE + n;
    const { startedAt } = await setup.servers[(holding + 1) % instances].revoke(benchSessionId(user));
    const { closedAt, code } = await closing;
    if (code !== 4403) {
      throw new Error(`scale-out ${setup.name}: socket ${n} of instance ${holding} closed with ${code}, not 4403`);
    }
    latencies.push(closedAt - startedAt);
  }
  return latencies;
}

/** One ticket-handshake run on instance 0, with tickets minted on instance 1 (the other end of a load balancer). */
async function ticketRun(setup: Setup, settings: BenchSettings, lastRate: number | undefined): Promise<HandshakeRun> {
  const run = { ...settings.handshake, durationMs: settings.scaleOut.ticketRunMs };
  const tickets = await setup.servers[1 % setup.servers.length].mintTickets(ticketsPerRun(run, lastRate), TICKETED_PATH);
  return setup.ticketLoad.measure({ kind: 'ticket', tickets }, run);
}

/** What every node's counters do per ms while the setup idles. */
async function idlePerMs(probes: readonly RedisNodeProbe[]): Promise<RedisNodeCounters[]> {
  const before = await Promise.all(probes.map((probe) => probe.counters()));
  const started = performance.now();
  await sleep(IDLE_WINDOW_MS);
  const after = await Promise.all(probes.map((probe) => probe.counters()));
  const elapsed = performance.now() - started;
  return probes.map((_, i) => scaleCounters(countersBetween(before[i], after[i]), 1 / elapsed));
}

function scaleCounters(counters: RedisNodeCounters, factor: number): RedisNodeCounters {
  return Object.fromEntries(Object.entries(counters).map(([key, value]) => [key, value * factor])) as unknown as RedisNodeCounters;
}

/**
 * `count` revocations of sessions no socket has, fired from one instance as
 * fast as it can: each still crosses Redis to every instance, so the
 * counters of every node and instance, over the burst, divided by `count`,
 * are the cost of one revocation.
 */
async function burst(setup: Setup, label: string, count: number, standIns?: StandInSubscribers): Promise<Burst> {
  const subscriptions = await Promise.all(setup.probes.map((probe) => probe.subscribers()));
  const revoker = setup.servers[0];
  const listener = setup.servers[setup.servers.length - 1];
  const heardBefore = await Promise.all(setup.servers.map((server) => server.pubsubReceived()));
  const standInsBefore = standIns?.messages ?? 0;
  const listenerBefore = await listener.usage();
  const before = await Promise.all(setup.probes.map((probe) => probe.counters()));
  const started = performance.now();
  const { elapsedMs } = await revoker.revokeMany(`burst-${setup.name}-${label}-`, count, BURST_CONCURRENCY);
  // Done when every instance (and stand-in) has heard every revocation, or the wait runs out (a loss shows in the counts).
  const deadline = performance.now() + BURST_DELIVERY_TIMEOUT_MS;
  let heard: number[];
  for (;;) {
    heard = (await Promise.all(setup.servers.map((server) => server.pubsubReceived()))).map((total, i) => total - heardBefore[i]);
    const standInsDone = !standIns || standIns.messages - standInsBefore >= count * standIns.count;
    if ((heard.every((n) => n >= count) && standInsDone) || performance.now() > deadline) {
      break;
    }
    await sleep(5);
  }
  const after = await Promise.all(setup.probes.map((probe) => probe.counters()));
  const window = performance.now() - started;
  const listenerAfter = await listener.usage();
  return {
    revocations: count,
    subscribers: setup.servers.length + (standIns?.count ?? 0),
    elapsedMs,
    nodes: setup.probes.map((_, i) => {
      const delta = countersBetween(scaleCounters(setup.idlePerMs[i], window), countersBetween(before[i], after[i]));
      const local = localSubscribers(subscriptions[i]);
      // Redis counts no deliveries: every publish a node serves or hears over the bus goes to each local subscriber.
      const deliveries = (delta.publishCalls + delta.busPublishReceived) * local.classic + (delta.spublishCalls + delta.busShardPublishReceived) * local.sharded;
      return { ...delta, subscribers: local.classic + local.sharded, deliveries };
    }),
    instanceMessages: heard,
    listenerCpuMicros: listenerAfter.cpuMicros - listenerBefore.cpuMicros,
    standInMessages: (standIns?.messages ?? 0) - standInsBefore,
  };
}

/** The same burst with `count` bare subscribers beside the instances. */
async function burstWithStandIns(setup: Setup, count: number, label: string, revocations: number): Promise<Burst> {
  const where = new Map<number, RedisNodeSubscribers>();
  for (const probe of setup.probes) {
    where.set(probe.port, await probe.subscribers());
  }
  const standIns = await StandInSubscribers.start(count, where);
  try {
    return await burst(setup, `${label}-stand-ins`, revocations, standIns);
  } finally {
    standIns.stop();
  }
}

/** Subscribers of the events channel on one node (not of a Cluster link's probe channels, one subscriber each). */
function localSubscribers(node: RedisNodeSubscribers): { classic: number; sharded: number } {
  const sum = (counts: Record<string, number>) =>
    Object.entries(counts).reduce((total, [channel, subscribers]) => total + (isSessionEventsChannel(channel) ? subscribers : 0), 0);
  return { classic: sum(node.channels), sharded: sum(node.shardChannels) };
}

/** Per revocation, over every node of the setup. */
function perRevocation(burst: Burst) {
  const total = (of: (node: Burst['nodes'][number]) => number) => burst.nodes.reduce((sum, node) => sum + of(node), 0) / burst.revocations;
  const cpu = burst.nodes.map((node) => Math.max(0, node.cpuMicros) / burst.revocations);
  return {
    publishes: total((node) => node.publishCalls + node.spublishCalls),
    busMessages: total((node) => node.busPublishReceived + node.busShardPublishReceived),
    deliveries: total((node) => node.deliveries),
    netOutputBytes: total((node) => node.netOutputBytes),
    redisCpuMicros: cpu.reduce((a, b) => a + b, 0),
    busiestNodeCpuMicros: Math.max(...cpu),
    busiestNodeDeliveries: Math.max(...burst.nodes.map((node) => node.deliveries)) / burst.revocations,
    instanceMessages: burst.instanceMessages.reduce((a, b) => a + b, 0) / burst.instanceMessages.length / burst.revocations,
    listenerCpuMicros: burst.listenerCpuMicros / burst.revocations,
    revocationsPerSecond: (burst.revocations / burst.elapsedMs) * 1000,
  };
}

function describeBurst(burst: Burst): string {
  const per = perRevocation(burst);
  return (
    `burst of ${burst.revocations} at ${Math.round(per.revocationsPerSecond)}/s: per revocation ${per.publishes.toFixed(2)} publishes, ` +
    `${per.busMessages.toFixed(2)} bus messages, ${per.deliveries.toFixed(2)} deliveries to ${burst.subscribers} subscribers, ` +
    `${Math.round(per.netOutputBytes)} B out, Redis ${per.redisCpuMicros.toFixed(1)} µs CPU; each instance heard ${per.instanceMessages.toFixed(2)}`
  );
}

/** The projection of BENCHMARKS.md ("Scale-out"): instances sharing one Redis setup. */
export const PROJECTED_INSTANCES = 100;

function figuresOf(records: Record<SetupName, RoundRecord[]>, instances: number, standIns: number, sockets: number): Figures {
  const f: Figures = {};
  const setups: SetupName[] = ['cluster', 'single'];
  for (const name of setups) {
    const rounds = records[name];
    const per = rounds.map((record) => perRevocation(record.burst));
    const m = (of: (x: ReturnType<typeof perRevocation>) => number, digits: number) => round(median(per.map(of)), digits);
    f[`scale_out_revocation_p50_ms_${name}`] = round(median(rounds.map((r) => r.p50Ms)), 2);
    f[`scale_out_revocation_p99_ms_${name}`] = round(median(rounds.map((r) => r.p99Ms)), 2);
    f[`scale_out_revocation_max_ms_${name}`] = round(Math.max(...rounds.flatMap((r) => r.latenciesMs)), 2);
    f[`scale_out_ticket_rate_${name}`] = round(median(rounds.map((r) => r.tickets.rate)), 0);
    f[`scale_out_ticket_p99_ms_${name}`] = round(median(rounds.map((r) => r.tickets.p99Ms)), 2);
    f[`scale_out_ticket_failed_${name}`] = rounds.reduce((sum, r) => sum + r.tickets.failed, 0);
    f[`scale_out_revocations_per_s_${name}`] = m((x) => x.revocationsPerSecond, 0);
    f[`scale_out_publishes_per_revocation_${name}`] = m((x) => x.publishes, 3);
    f[`scale_out_bus_messages_per_revocation_${name}`] = m((x) => x.busMessages, 3);
    f[`scale_out_deliveries_per_revocation_${name}`] = m((x) => x.deliveries, 3);
    f[`scale_out_instance_messages_per_revocation_${name}`] = m((x) => x.instanceMessages, 3);
    f[`scale_out_listener_cpu_us_per_revocation_${name}`] = m((x) => x.listenerCpuMicros, 1);
    f[`scale_out_net_output_bytes_per_revocation_${name}`] = m((x) => x.netOutputBytes, 0);
    f[`scale_out_redis_cpu_us_per_revocation_${name}`] = m((x) => x.redisCpuMicros, 1);
    f[`scale_out_busiest_node_cpu_us_per_revocation_${name}`] = m((x) => x.busiestNodeCpuMicros, 1);
    f[`scale_out_busiest_node_deliveries_per_revocation_${name}`] = m((x) => x.busiestNodeDeliveries, 3);

    // Each further subscriber: the burst with stand-ins over the one without, in the same round, per stand-in; then the median.
    const extra = rounds.map((record) => perRevocation(record.standInBurst));
    const e = (of: (x: ReturnType<typeof perRevocation>) => number, digits: number) => round(median(extra.map(of)), digits);
    const slope = (of: (x: ReturnType<typeof perRevocation>) => number) => median(extra.map((x, i) => (of(x) - of(per[i])) / standIns));
    const cpuPerSubscriber = slope((x) => x.redisCpuMicros);
    const bytesPerSubscriber = slope((x) => x.netOutputBytes);
    f[`scale_out_with_stand_ins_redis_cpu_us_per_revocation_${name}`] = e((x) => x.redisCpuMicros, 1);
    f[`scale_out_with_stand_ins_deliveries_per_revocation_${name}`] = e((x) => x.deliveries, 3);
    f[`scale_out_with_stand_ins_net_output_bytes_per_revocation_${name}`] = e((x) => x.netOutputBytes, 0);
    f[`scale_out_redis_cpu_us_per_subscriber_${name}`] = round(cpuPerSubscriber, 2);
    f[`scale_out_net_output_bytes_per_subscriber_${name}`] = round(bytesPerSubscriber, 0);
    // A hundred instances, by the same measure: what was measured at `instances`, plus the per-subscriber cost for each one more.
    const more = PROJECTED_INSTANCES - instances;
    f[`scale_out_projected_${PROJECTED_INSTANCES}_redis_cpu_us_per_revocation_${name}`] = round(
      f[`scale_out_redis_cpu_us_per_revocation_${name}`]! + more * cpuPerSubscriber,
      1,
    );
    f[`scale_out_projected_${PROJECTED_INSTANCES}_net_output_bytes_per_revocation_${name}`] = round(
      f[`scale_out_net_output_bytes_per_revocation_${name}`]! + more * bytesPerSubscriber,
      0,
    );
    f[`scale_out_projected_${PROJECTED_INSTANCES}_deliveries_per_revocation_${name}`] = round(
      (f[`scale_out_deliveries_per_revocation_${name}`]! / instances) * PROJECTED_INSTANCES,
      1,
    );
  }
  f.scale_out_instances = instances;
  f.scale_out_sockets = sockets;
  f.scale_out_stand_in_subscribers = standIns;
  const ratio = (of: (record: RoundRecord) => number) =>
    round(median(records.cluster.map((record, i) => of(record) / of(records.single[i]))), 3);
  f.scale_out_revocation_p50_ratio_cluster_vs_single = ratio((r) => r.p50Ms);
  f.scale_out_revocation_p99_ratio_cluster_vs_single = ratio((r) => r.p99Ms);
  f.scale_out_ticket_ratio_cluster_vs_single = ratio((r) => r.tickets.rate);
  f.scale_out_redis_cpu_ratio_cluster_vs_single = ratio((r) => perRevocation(r.burst).redisCpuMicros);
  return f;
}
