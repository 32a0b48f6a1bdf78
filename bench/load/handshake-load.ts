import { performance } from 'node:perf_hooks';
import { receiveConfig, serveIpc } from '../support/ipc-endpoint.js';
import { percentile } from '../support/stats.js';
import { ClientCredentials, type ClientCredential } from './client-credential.js';
import { openSocket } from './open-socket.js';
import { openSocketIoSocket } from './open-socket-io-socket.js';

/** What run-benchmarks asks of this load generator. */
export interface HandshakeLoadConfig {
  readonly url: string;
  /** Handshakes in flight at once (a closed loop: each lane starts the next when one completes). */
  readonly concurrency: number;
  /** Distinct users whose tokens are cycled through (tickets: each used once). */
  readonly users: number;
  /** The first user number, so these users differ from those of sockets held open meanwhile. */
  readonly firstUser?: number;
  /** Socket.IO: `url` is the Engine.IO endpoint and each handshake ends with this namespace's CONNECT. */
  readonly socketIoNamespace?: string;
}

export interface HandshakeRunResult {
  /** Tickets ran out before the run's end: the lanes stopped early. */
  readonly exhausted: boolean;
  readonly completed: number;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** This load generator's own CPU time over the run (user + system, µs): the client's share of the machine. */
  readonly cpuMicros: number;
}

/** One run: how long (or how many handshakes, whichever ends first), and the credential when it changes (new tickets, say). */
export interface HandshakeRunRequest {
  readonly durationMs: number;
  readonly count?: number;
  readonly credential?: ClientCredential;
}

/**
 * Opens and drops sockets as fast as the server accepts them: each socket is
 * closed (TCP-level) as soon as it is open, so what is measured is the
 * handshake (upgrade request, authentication, 101) and the teardown, not
 * any traffic. The process serves every run of one scenario. Over
 * Socket.IO a handshake is the Engine.IO one and the namespace CONNECT.
 */
const config = await receiveConfig<HandshakeLoadConfig>();
let credentials: ClientCredentials | undefined;
let next = 0;
const namespace = config.socketIoNamespace;

async function run({ durationMs, count = Infinity, credential }: HandshakeRunRequest): Promise<HandshakeRunResult> {
  if (credential) {
    credentials = new ClientCredentials(config.url, credential);
    next = 0;
  }
  if (!credentials) {
    throw new Error('handshake-load: the first run needs a credential');
  }
  const current = credentials;
  const latencies: number[] = [];
  let failed = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + durationMs;
  let exhausted = false;
  let begun = 0;
  const lane = async () => {
    while (performance.now() < deadline && begun < count) {
      begun++;
      if (next >= current.capacity) {
        exhausted = true;
        return;
      }
      const n = next++;
      const user = Number.isFinite(current.capacity) ? n : (config.firstUser ?? 0) + (n % config.users);
      const t0 = performance.now();
      const socket = await (namespace === undefined ? openSocket(current.handshake(user), n) : openSocketIoSocket(current.handshake(user), namespace, n));
      if (socket) {
        latencies.push(performance.now() - t0);
        socket.terminate();
      } else {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, lane));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    exhausted,
    completed: latencies.length,
    failed,
    elapsedMs: performance.now() - started,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMicros: cpu.user + cpu.system,
  };
}

serveIpc({ run });
