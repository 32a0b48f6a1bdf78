/**
 * How long and how hard each suite runs. `full` is what results.json and
 * BENCHMARKS.md report; `quick` is a smoke run of the same code, much
 * shorter, for checking the bench still works (BENCHMARKS.md says how long each takes).
 * The figures name 10k sockets: `handshake_cost_ratio_10k_vs_100`
 * is the ratio between the two `liveSockets` counts whatever they are.
 */
export interface BenchSettings {
  readonly mode: 'full' | 'quick';
  /** Measured runs of the revocation suite; each figure is the median of its runs. */
  readonly runs: number;
  readonly handshake: {
    /** Rounds: each runs every scenario once, in alternating order; each figure is the median over rounds. */
    readonly rounds: number;
    /** Discarded run before each measured one: the server's JIT and caches warm for this scenario again. */
    readonly warmupMs: number;
    readonly durationMs: number;
    readonly concurrency: number;
    /** Distinct users (tokens) the load generator cycles through. */
    readonly users: number;
  };
  readonly message: {
    readonly rounds: number;
    readonly sockets: number;
    readonly window: number;
    readonly warmupMs: number;
    readonly durationMs: number;
  };
  readonly memory: {
    readonly counts: readonly number[];
    readonly runs: number;
  };
  readonly liveSockets: {
    readonly counts: readonly [few: number, many: number];
  };
  readonly revocation: {
    readonly sockets: number;
    readonly warmup: number;
    readonly perRun: number;
  };
  readonly scaleOut: {
    /** ws-auth instances on each Redis (the cluster's, and the single one's). */
    readonly instances: number;
    /** Idle authenticated sockets held across the instances of one Redis. */
    readonly sockets: number;
    /** Rounds: each measures both Redis setups, in alternating order. */
    readonly rounds: number;
    /** Revocations timed per setup and round (fan-out latency). */
    readonly revocationsPerRound: number;
    /** Revocations fired back to back per setup and round, for the per-revocation counters and Redis CPU. */
    readonly burst: number;
    /** Measured part of each ticket-handshake run (after the handshake settings' warm-up). */
    readonly ticketRunMs: number;
    /** Bare subscribers added beside the instances for one more burst: what each further subscriber costs Redis. */
    readonly standInSubscribers: number;
  };
}

export const FULL_SETTINGS: BenchSettings = {
  mode: 'full',
  runs: 5,
  handshake: { rounds: 7, warmupMs: 250, durationMs: 1300, concurrency: 16, users: 1000 },
  message: { rounds: 7, sockets: 32, window: 16, warmupMs: 200, durationMs: 1000 },
  memory: { counts: [1000, 10000], runs: 3 },
  liveSockets: { counts: [100, 10000] },
  revocation: { sockets: 32, warmup: 20, perRun: 100 },
  scaleOut: { instances: 4, sockets: 10000, rounds: 5, revocationsPerRound: 100, burst: 2000, ticketRunMs: 800, standInSubscribers: 28 },
};

/** Shorter runs, fewer sockets (1k instead of 10k): the same code paths, figures only indicative. */
export const QUICK_SETTINGS: BenchSettings = {
  mode: 'quick',
  runs: 3,
  handshake: { rounds: 2, warmupMs: 100, durationMs: 300, concurrency: 16, users: 300 },
  message: { rounds: 2, sockets: 16, window: 16, warmupMs: 100, durationMs: 400 },
  memory: { counts: [1000], runs: 1 },
  liveSockets: { counts: [100, 1000] },
  revocation: { sockets: 16, warmup: 5, perRun: 30 },
  scaleOut: { instances: 4, sockets: 1000, rounds: 2, revocationsPerRound: 30, burst: 300, ticketRunMs: 300, standInSubscribers: 28 },
};
