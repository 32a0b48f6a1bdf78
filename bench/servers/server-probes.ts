import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { liveSockets } from './live-sockets.js';

/** Cumulative CPU time and event-loop activity; the orchestrator subtracts two of them. */
export interface ServerUsage {
  /** User + system CPU microseconds since the process started. */
  readonly cpuMicros: number;
  /** The system (kernel) part: socket syscalls, on loopback the peer's TCP work too. */
  readonly systemCpuMicros: number;
  readonly elu: EventLoopUtilization;
  readonly liveSockets: number;
  readonly socketsEverOpened: number;
}

export function serverUsage(): ServerUsage {
  const cpu = process.cpuUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    systemCpuMicros: cpu.system,
    elu: performance.eventLoopUtilization(),
    liveSockets: liveSockets.count,
    socketsEverOpened: liveSockets.total,
  };
}

export interface ServerMemory extends NodeJS.MemoryUsage {
  readonly liveSockets: number;
}

/**
 * `process.memoryUsage()` after full collections. Several, with turns of the
 * event loop between them: closed sockets finish closing, weak-map entries of
 * dead keys go at the next mark, finalizers run.
 */
export async function serverMemory(): Promise<ServerMemory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    throw new Error('bench: memory is measured in a server started with --expose-gc');
  }
  for (let i = 0; i < 4; i++) {
    await nextTurn();
    gc();
  }
  return { ...process.memoryUsage(), liveSockets: liveSockets.count };
}
