/**
 * How long and how hard each suite runs. `full` is what results.json and
 * BENCHMARKS.md report (about four minutes on 2 cores); `quick` is a smoke
 * run of the same code under a minute, for checking the bench still works.
 */
export interface BenchSettings {
  readonly mode: 'full' | 'quick';
  /** Measured runs per scenario; each figure is the median of its runs. */
  readonly runs: number;
  readonly handshake: {
    /** Discarded run before each measured one: JIT, TCP and pool warm-up of both processes. */
    readonly warmupMs: number;
    readonly durationMs: number;
    readonly concurrency: number;
    /** Distinct users (tokens) the load generator cycles through. */
    readonly users: number;
  };
  readonly message: {
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
}

export const FULL_SETTINGS: BenchSettings = {
  mode: 'full',
  runs: 5,
  handshake: { warmupMs: 700, durationMs: 2500, concurrency: 16, users: 1000 },
  message: { sockets: 32, window: 16, warmupMs: 700, durationMs: 2500 },
  memory: { counts: [1000, 10000], runs: 3 },
  liveSockets: { counts: [100, 10000] },
  revocation: { sockets: 32, warmup: 20, perRun: 100 },
};

export const QUICK_SETTINGS: BenchSettings = {
  mode: 'quick',
  runs: 3,
  handshake: { warmupMs: 300, durationMs: 700, concurrency: 16, users: 500 },
  message: { sockets: 16, window: 16, warmupMs: 300, durationMs: 700 },
  memory: { counts: [1000, 10000], runs: 1 },
  liveSockets: { counts: [100, 10000] },
  revocation: { sockets: 16, warmup: 5, perRun: 30 },
};
