import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { INestApplication } from '@nestjs/common';
import { WsSessionService } from 'nestjs-ws-auth';
import { epochMs } from '../support/clock.js';
import { serveIpc } from '../support/ipc-endpoint.js';
import { startBareWsServer } from './bare-ws-server.js';
import { startNestBenchApp } from './nest-bench-app.js';
import type { ServerConfig, ServerInfo } from './server-config.js';
import { serverMemory, serverUsage } from './server-probes.js';

/**
 * A server under test, in its own process: started by run-benchmarks with a
 * `ServerConfig` as its argument, probed over IPC (CPU time, event-loop
 * utilisation, heap), and told to revoke sessions.
 */
const config = JSON.parse(process.argv[2]) as ServerConfig;

let app: INestApplication | undefined;
let port: number;
if (config.kind === 'bare') {
  ({ port } = await startBareWsServer());
} else {
  ({ app, port } = await startNestBenchApp({ auth: config.kind === 'ws-auth', redisPort: config.kind === 'ws-auth' ? config.redisPort : undefined }));
}

serveIpc(
  {
    usage: () => serverUsage(),
    memory: () => serverMemory(),
    /** For `--heap-snapshot`: what the sockets' memory is made of. */
    heapSnapshot: ({ dir }: { dir: string }) => ({ file: writeHeapSnapshot(join(dir, `${config.kind}-${process.pid}-${Date.now()}.heapsnapshot`)) }),
    /** Revokes a login session and returns when the call started, for the fan-out latency. */
    revoke: async ({ sessionId }: { sessionId: string }) => {
      if (!app) {
        throw new Error('no sessions on a bare server');
      }
      const startedAt = epochMs();
      await app.get(WsSessionService).revokeSession(sessionId, Date.now() + 3_600_000);
      return { startedAt };
    },
  },
  { port, pid: process.pid } satisfies ServerInfo,
);
