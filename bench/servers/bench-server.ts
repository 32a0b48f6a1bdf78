import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { INestApplication } from '@nestjs/common';
import { TicketService, WsSessionService } from 'nestjs-ws-auth';
import { benchClaims } from '../support/bench-credentials.js';
import { epochMs } from '../support/clock.js';
import { receiveConfig, serveIpc } from '../support/ipc-endpoint.js';
import { startBareWsServer } from './bare-ws-server.js';
import { startNestBenchApp } from './nest-bench-app.js';
import type { ServerConfig, ServerInfo } from './server-config.js';
import { pubsubTraffic } from './pubsub-traffic.js';
import { serverMemory, serverUsage } from './server-probes.js';

/**
 * A server under test, in its own process: started by run-benchmarks with a
 * `ServerConfig` as its argument, probed over IPC (CPU time, event-loop
 * utilisation, heap), and told to revoke sessions.
 */
const config = await receiveConfig<ServerConfig>();

let app: INestApplication | undefined;
let port: number;
if (config.kind === 'bare') {
  ({ port } = await startBareWsServer());
} else {
  ({ app, port } = await startNestBenchApp(config.kind === 'ws-auth' ? config : undefined, config.transport));
}

serveIpc(
  {
    usage: () => serverUsage(),
    memory: () => serverMemory(),
    /** For `--heap-snapshot`: what the sockets' memory is made of. */
    heapSnapshot: ({ dir }: { dir: string }) => ({ file: writeHeapSnapshot(join(dir, `${config.kind}-${process.pid}-${Date.now()}.heapsnapshot`)) }),
    /** Mints tickets for users first..first+count-1, bound to a gateway path, as POST /auth/ticket would. */
    mintTickets: async ({ first, count, path }: { first: number; count: number; path: string }) => {
      if (!app) {
        throw new Error('no tickets on a bare server');
      }
      const service = app.get(TicketService);
      const tickets: string[] = [];
      const BATCH = 500; // in flight at once: a Redis store pipelines them
      for (let from = 0; from < count; from += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, count - from) }, (_, i) => {
          const claims = benchClaims(first + from + i);
          return service.issue({
            principal: claims,
            subject: claims.sub,
            sessionId: claims.sid,
            scopes: claims.scope.split(' '),
            expiresAt: claims.exp * 1000,
            issuedAt: claims.iat * 1000,
          }, { path });
        });
        tickets.push(...(await Promise.all(batch)).map((issued) => issued.ticket));
      }
      return { tickets };
    },
    /** Revokes a login session and returns when the call started, for the fan-out latency. */
    revoke: async ({ sessionId }: { sessionId: string }) => {
      if (!app) {
        throw new Error('no sessions on a bare server');
      }
      const startedAt = epochMs();
      await app.get(WsSessionService).revokeSession(sessionId, Date.now() + 3_600_000);
      return { startedAt };
    },
    /**
     * Revokes `count` sessions named `${prefix}${i}`, `concurrency` at a time, as
     * fast as the store takes them: the load whose cost per revocation the
     * scale-out suite counts on every Redis node.
     */
    revokeMany: async ({ prefix, count, concurrency }: { prefix: string; count: number; concurrency: number }) => {
      if (!app) {
        throw new Error('no sessions on a bare server');
      }
      const sessions = app.get(WsSessionService);
      const expiresAt = Date.now() + 3_600_000;
      const started = epochMs();
      let next = 0;
      const lane = async () => {
        while (next < count) {
          await sessions.revokeSession(`${prefix}${next++}`, expiresAt);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
      return { elapsedMs: epochMs() - started };
    },
    /** Pub/sub messages received so far (sharedRedis servers). */
    pubsubReceived: () => ({ received: pubsubTraffic.received }),
  },
  { port, pid: process.pid } satisfies ServerInfo,
);
