import type { BenchSettings } from '../bench-settings.js';
import type { ClientCredential } from '../load/client-credential.js';
import type { HandshakeLoadConfig, HandshakeRunRequest, HandshakeRunResult } from '../load/handshake-load.js';
import { socketIoUrl } from '../load/open-socket-io-socket.js';
import { BenchChild } from '../support/bench-child.js';
import type { BenchServerProcess } from '../support/bench-server-process.js';
import type { BenchRedis } from '../support/redis-server.js';

/** One measured run of handshakes against one server. */
export interface HandshakeRun {
  /** Handshakes completed per second. */
  readonly rate: number;
  readonly completed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  /** The run ran out of tickets before its end (see `ticketsPerRun`). */
  readonly exhausted: boolean;
  /** Server CPU time per completed handshake (µs): the cost, whoever the bottleneck was. */
  readonly cpuMicrosPerHandshake: number;
  /** Of which system (kernel) time: socket syscalls, which on loopback include the client's side of TCP. */
  readonly systemCpuMicrosPerHandshake: number;
  /** Garbage collection per handshake (µs of pause): scavenges, and mark-compact with its increments. */
  readonly gcMinorMicrosPerHandshake: number;
  readonly gcMajorMicrosPerHandshake: number;
  readonly eventLoopUtilization: number;
  /** The load generator's CPU time per handshake (µs): with the server's and Redis's, what one handshake costs the machine. */
  readonly clientCpuMicrosPerHandshake: number;
  /** redis-server's CPU time per handshake (µs), when the scenario's server uses it (else absent). */
  readonly redisCpuMicrosPerHandshake?: number;
  /** Commands redis-server read per socket read during the run: above 1, the client batched them. */
  readonly redisCommandsPerRead?: number;
}

/** Handshakes per second no run here comes near: before a scenario's first run, tickets are minted for this rate. */
const TICKETS_PER_SECOND = 8000;

/**
 * Tickets one run (warm-up and measure) can use up: twice what the
 * scenario's last run would have used, or the most any run could. Tickets
 * left over stay in the ticket store until they expire, so minting many
 * more than needed would weigh on the server being measured.
 */
export function ticketsPerRun(settings: BenchSettings['handshake'], lastRate?: number): number {
  const perSecond = lastRate === undefined ? TICKETS_PER_SECOND : Math.min(TICKETS_PER_SECOND, 2 * lastRate);
  return Math.ceil(((settings.warmupMs + settings.durationMs) / 1000) * perSecond) + 100;
}

/**
 * A load generator (`load/handshake-load.ts`) aimed at one server and path,
 * kept for every run of its scenario: its own JIT stays warm, and forking
 * costs once.
 */
export class HandshakeLoadProcess {
  private lastCredential?: string;

  private constructor(
    private readonly server: BenchServerProcess,
    private readonly child: BenchChild,
  ) {}

  static async start(
    server: BenchServerProcess,
    path: string,
    settings: BenchSettings['handshake'],
    options: { firstUser?: number; users?: number; transport?: 'socket.io' } = {},
  ): Promise<HandshakeLoadProcess> {
    // Over Socket.IO, `path` is the namespace, behind the server's one Engine.IO endpoint.
    const socketIo = options.transport === 'socket.io';
    const config: HandshakeLoadConfig = {
      url: socketIo ? socketIoUrl(server.url('')) : server.url(path),
      socketIoNamespace: socketIo ? path : undefined,
      concurrency: settings.concurrency,
      users: options.users ?? settings.users,
      firstUser: options.firstUser ?? 0,
    };
    return new HandshakeLoadProcess(server, await BenchChild.start('handshake-load', 'load/handshake-load.js', config));
  }

  /**
   * A warm-up (discarded), then one measured run and what the server (and
   * the Redis it uses, if given) spent during it.
   */
  async measure(credential: ClientCredential, settings: BenchSettings['handshake'], redis?: BenchRedis): Promise<HandshakeRun> {
    await this.run({ durationMs: settings.warmupMs, credential: this.changed(credential) });
    const redisBefore = await redis?.usage();
    const { result, spend } = await this.server.spendDuring(() => this.run({ durationMs: settings.durationMs }));
    const redisAfter = await redis?.usage();
    const perHandshake = (micros: number) => micros / Math.max(1, result.completed);
    return {
      rate: (result.completed / result.elapsedMs) * 1000,
      completed: result.completed,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      failed: result.failed,
      exhausted: result.exhausted,
      cpuMicrosPerHandshake: spend.cpuMicros / Math.max(1, result.completed),
      systemCpuMicrosPerHandshake: spend.systemCpuMicros / Math.max(1, result.completed),
      gcMinorMicrosPerHandshake: spend.gcMinorMicros / Math.max(1, result.completed),
      gcMajorMicrosPerHandshake: spend.gcMajorMicros / Math.max(1, result.completed),
      eventLoopUtilization: spend.eventLoopUtilization,
      clientCpuMicrosPerHandshake: perHandshake(result.cpuMicros),
      ...(redisBefore && redisAfter
        ? {
            redisCpuMicrosPerHandshake: perHandshake(redisAfter.cpuMicros - redisBefore.cpuMicros),
            // The probe's own INFO is one command and one read: left out.
            redisCommandsPerRead: (redisAfter.commands - redisBefore.commands - 1) / Math.max(1, redisAfter.reads - redisBefore.reads - 1),
          }
        : {}),
    };
  }

  /**
   * Exactly `count` handshakes (or fewer, if `timeoutMs` passes first), with
   * no probe of the server: what counting instructions needs, where the
   * same work must be asked of every server whatever its speed.
   */
  handshakes(credential: ClientCredential, count: number, timeoutMs: number): Promise<HandshakeRunResult> {
    return this.run({ durationMs: timeoutMs, count, credential: this.changed(credential) });
  }

  stop(): Promise<void> {
    return this.child.stop();
  }

  private run(request: HandshakeRunRequest): Promise<HandshakeRunResult> {
    return this.child.request<HandshakeRunResult>('run', request);
  }

  /** The credential when it differs from the last one sent (tickets do, every run), else nothing to send. */
  private changed(credential: ClientCredential): ClientCredential | undefined {
    const key = JSON.stringify(credential);
    if (key === this.lastCredential) {
      return undefined;
    }
    this.lastCredential = key;
    return credential;
  }
}
