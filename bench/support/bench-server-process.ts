import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { ServerConfig, ServerInfo } from '../servers/server-config.js';
import type { ServerMemory, ServerUsage } from '../servers/server-probes.js';
import { benchLog } from '../suites/bench-log.js';
import { BenchChild } from './bench-child.js';

export interface ServerProcessOptions {
  /** For heap figures: `global.gc()` before each `process.memoryUsage()`. */
  readonly exposeGc?: boolean;
  /** Writes a V8 CPU profile of the whole process there when it exits (`node --cpu-prof`). */
  readonly cpuProfileDir?: string;
  /**
   * Runs the server under `valgrind --tool=callgrind`, counting nothing
   * until told to (`callgrind_control --instr=on`), into this file.
   */
  readonly callgrindOutFile?: string;
  /** More node flags, after `BENCH_SERVER_NODE_FLAGS`'s. */
  readonly nodeFlags?: readonly string[];
}

/**
 * Callgrind counts the instructions the server executes: the same count for
 * the same work whatever else the machine is doing. V8 writes the code it
 * runs, so valgrind must check every write for code it has translated.
 */
function callgrindArgs(outFile: string, nodeFlags: string[]): string[] {
  return ['--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no', `--callgrind-out-file=${outFile}`, process.execPath, ...nodeFlags];
}

/** What a server spent while some load ran against it. */
export interface ServerSpend {
  /** CPU microseconds, user + system. */
  readonly cpuMicros: number;
  /** Of which system (kernel). */
  readonly systemCpuMicros: number;
  /** Wall time in garbage collection: scavenges, and mark-compact with its increments. */
  readonly gcMinorMicros: number;
  readonly gcMajorMicros: number;
  /** Share of the wall time its event loop was busy: near 1, the server is the bottleneck. */
  readonly eventLoopUtilization: number;
}

/** A server under test in its own process (`servers/bench-server.ts`). */
export class BenchServerProcess {
  private ticketUsers = 0;

  private constructor(
    readonly name: string,
    private readonly child: BenchChild<ServerInfo>,
    private readonly profiled: boolean,
  ) {}

  static async start(name: string, config: ServerConfig, options: ServerProcessOptions = {}): Promise<BenchServerProcess> {
    const execArgv = [
      // For experiments with the servers' V8 (e.g. a fixed young generation): space-separated node flags.
      ...(process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      ...(options.nodeFlags ?? []),
      ...(options.exposeGc ? ['--expose-gc'] : []),
      ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : []),
    ];
    const child = await BenchChild.start<ServerInfo>(
      name,
      'servers/bench-server.js',
      config,
      options.callgrindOutFile ? { execPath: 'valgrind', execArgv: callgrindArgs(options.callgrindOutFile, execArgv) } : { execArgv },
    );
    return new BenchServerProcess(name, child, options.cpuProfileDir !== undefined);
  }

  get port(): number {
    return this.child.info.port;
  }

  get pid(): number {
    return this.child.info.pid;
  }

  url(path: string): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  usage(): Promise<ServerUsage> {
    return this.child.request<ServerUsage>('usage');
  }

  memory(): Promise<ServerMemory> {
    return this.child.request<ServerMemory>('memory');
  }

  heapSnapshot(dir: string): Promise<{ file: string }> {
    return this.child.request('heapSnapshot', { dir });
  }

  /** Single-use tickets for `count` users (numbered on from earlier calls), minted by the server's TicketService. */
  async mintTickets(count: number, path: string): Promise<string[]> {
    const first = this.ticketUsers;
    this.ticketUsers += count;
    const { tickets } = await this.child.request<{ tickets: string[] }>('mintTickets', { first, count, path });
    return tickets;
  }

  revoke(sessionId: string): Promise<{ startedAt: number }> {
    return this.child.request('revoke', { sessionId });
  }

  /** Revokes `count` sessions (`${prefix}0`, `${prefix}1`, ...) back to back; how long that took. */
  revokeMany(prefix: string, count: number, concurrency: number): Promise<{ elapsedMs: number }> {
    return this.child.request('revokeMany', { prefix, count, concurrency });
  }

  /** How many pub/sub messages the server's subscriber connection has received since it started. */
  async pubsubReceived(): Promise<number> {
    const { received } = await this.child.request<{ received: number }>('pubsubReceived');
    return received;
  }

  /** Runs `work` and says what this server spent meanwhile. */
  async spendDuring<T>(work: () => Promise<T>): Promise<{ result: T; spend: ServerSpend }> {
    const before = await this.usage();
    const result = await work();
    const after = await this.usage();
    return {
      result,
      spend: {
        cpuMicros: after.cpuMicros - before.cpuMicros,
        systemCpuMicros: after.systemCpuMicros - before.systemCpuMicros,
        gcMinorMicros: (after.gcMinorMs - before.gcMinorMs) * 1000,
        gcMajorMicros: (after.gcMajorMs - before.gcMajorMs) * 1000,
        eventLoopUtilization: utilizationBetween(before.elu, after.elu),
      },
    };
  }

  async stop(): Promise<void> {
    if (this.profiled) {
      // What a profile's times divide by, for costs per handshake.
      const { socketsEverOpened, cpuMicros } = await this.usage();
      benchLog(`${this.name}: ${socketsEverOpened} sockets opened, ${(cpuMicros / 1e6).toFixed(2)} s CPU in all`);
    }
    return this.child.stop();
  }
}

function utilizationBetween(before: EventLoopUtilization, after: EventLoopUtilization): number {
  return performance.eventLoopUtilization(after, before).utilization;
}
