import type { BenchSettings } from '../bench-settings.js';
import type { ClientCredential } from '../load/client-credential.js';
import { BenchServerProcess } from '../support/bench-server-process.js';
import { median, round } from '../support/stats.js';
import { benchLog } from './bench-log.js';
import type { Figures, SuiteResult } from './figures.js';
import { AUTHENTICATED_SOCKETS, UNAUTHENTICATED_SOCKETS, type IdleSocketKind } from './idle-socket-kinds.js';
import { SocketHolderProcess } from './socket-holder-process.js';

interface MemoryKind extends IdleSocketKind {
  readonly name: 'unauthenticated' | 'authenticated';
}

/** Idle sockets on Nest's WsAdapter, against as many authenticated by ws-auth (each its own user and session). */
const KINDS: readonly MemoryKind[] = [
  { name: 'unauthenticated', ...UNAUTHENTICATED_SOCKETS },
  { name: 'authenticated', ...AUTHENTICATED_SOCKETS },
];

/** Sockets opened and closed before measuring: lazily built code and caches are then part of the baseline. */
const WARMUP_SOCKETS = 300;

interface MemoryRun {
  readonly sockets: number;
  readonly heapBytesPerSocket: number;
  readonly rssBytesPerSocket: number;
  readonly externalBytesPerSocket: number;
}

/**
 * Server heap per idle socket: `heapUsed` after full GCs with N sockets open,
 * minus the same before they opened, over N. The figure of the library is
 * the difference between the two kinds.
 */
export async function runMemorySuite(settings: BenchSettings, heapSnapshotDir?: string): Promise<SuiteResult> {
  const runs: Record<string, MemoryRun[]> = {};
  for (const kind of KINDS) {
    const server = await BenchServerProcess.start(`server-memory-${kind.name}`, kind.server, { exposeGc: true });
    try {
      const url = server.url(kind.path);
      const warmup = await SocketHolderProcess.start(url, kind.credential);
      await warmup.open(WARMUP_SOCKETS);
      await warmup.closeAll();
      await warmup.stop();
      for (const count of settings.memory.counts) {
        for (let i = 0; i < settings.memory.runs; i++) {
          // One snapshot per kind, at the largest count: per-socket objects stand out most there.
          const snapshot = i === 0 && count === Math.max(...settings.memory.counts) ? heapSnapshotDir : undefined;
          const run = await measureSockets(server, url, kind.credential, count, snapshot);
          (runs[`${kind.name}_${count}`] ??= []).push(run);
          benchLog(`memory ${kind.name} ${count} sockets run ${i + 1}/${settings.memory.runs}: ${Math.round(run.heapBytesPerSocket)} B heap/socket`);
        }
      }
    } finally {
      await server.stop();
    }
  }

  const figures: Figures = {};
  for (const count of settings.memory.counts) {
    const heap = (kind: string) => median(runs[`${kind}_${count}`].map((run) => run.heapBytesPerSocket));
    figures[`heap_bytes_per_socket_unauthenticated_${count}`] = round(heap('unauthenticated'), 0);
    figures[`heap_bytes_per_socket_authenticated_${count}`] = round(heap('authenticated'), 0);
    figures[`bytes_per_socket_overhead_${count}`] = round(heap('authenticated') - heap('unauthenticated'), 0);
  }
  // The headline: the overhead at the largest count, where fixed costs weigh least.
  const largest = Math.max(...settings.memory.counts);
  figures.bytes_per_socket_overhead = figures[`bytes_per_socket_overhead_${largest}`];
  return { figures, runs };
}

async function measureSockets(
  server: BenchServerProcess,
  url: string,
  credential: ClientCredential,
  count: number,
  heapSnapshotDir?: string,
): Promise<MemoryRun> {
  const before = await server.memory();
  const holder = await SocketHolderProcess.start(url, credential);
  try {
    await holder.open(count);
    const after = await server.memory();
    if (after.liveSockets - before.liveSockets !== count) {
      throw new Error(`memory: the server holds ${after.liveSockets - before.liveSockets} sockets, not ${count}`);
    }
    if (heapSnapshotDir) {
      await server.heapSnapshot(heapSnapshotDir);
    }
    return {
      sockets: count,
      heapBytesPerSocket: (after.heapUsed - before.heapUsed) / count,
      rssBytesPerSocket: (after.rss - before.rss) / count,
      externalBytesPerSocket: (after.external - before.external) / count,
    };
  } finally {
    await holder.closeAll();
    await holder.stop();
  }
}
