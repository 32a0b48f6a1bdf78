import type { BenchSettings } from '../bench-settings.js';
import type { ClientCredential } from '../load/client-credential.js';
import type { MessageLoadConfig } from '../load/message-load.js';
import { socketIoUrl } from '../load/open-socket-io-socket.js';
import { GUARDED_PATH, OPEN_PATH, type ServerConfig } from '../servers/server-config.js';
import { BenchChild } from '../support/bench-child.js';
import { BenchServerProcess } from '../support/bench-server-process.js';
import { median, round } from '../support/stats.js';
import { benchLog } from './bench-log.js';
import type { Figures, SuiteResult } from './figures.js';
import { HandshakeLoadProcess, type HandshakeRun } from './handshake-run.js';
import { runMessages, type MessageRun } from './message-suite.js';
import { roundOrder } from './round-order.js';

/** Two servers: Nest's `IoAdapter` without auth, and the ws-auth app on `WsAuthIoAdapter`. */
const SERVERS = {
  'nest-io': { kind: 'nest', transport: 'socket.io' },
  'ws-auth-io': { kind: 'ws-auth', transport: 'socket.io' },
} as const satisfies Record<string, ServerConfig>;
type IoServerName = keyof typeof SERVERS;

interface IoScenario {
  readonly name: string;
  readonly label: string;
  readonly server: IoServerName;
  /** The namespace. */
  readonly path: string;
  readonly credential: ClientCredential;
}

/** The baseline of the handshake ratios: Socket.IO on Nest's `IoAdapter`, no auth. */
const IO_HANDSHAKE_BASELINE = 'plain';

const HANDSHAKES: readonly IoScenario[] = [
  { name: 'plain', label: 'Nest `IoAdapter`, no auth (baseline)', server: 'nest-io', path: OPEN_PATH, credential: { kind: 'none' } },
  {
    name: 'auth',
    label: 'ws-auth (`WsAuthIoAdapter`), HS256 in the CONNECT `auth` payload',
    server: 'ws-auth-io',
    path: GUARDED_PATH,
    credential: { kind: 'io_token' },
  },
  {
    name: 'header',
    label: 'ws-auth (`WsAuthIoAdapter`), HS256 in `Authorization: Bearer` of the Engine.IO request',
    server: 'ws-auth-io',
    path: GUARDED_PATH,
    credential: { kind: 'header' },
  },
];

/** As the `ws` message suite: the headline divides `guarded` by `open`, the same handler unguarded in the same app and process. */
const MESSAGES: readonly IoScenario[] = [
  { name: 'plain', label: 'Nest `IoAdapter`, unguarded handler', server: 'nest-io', path: OPEN_PATH, credential: { kind: 'none' } },
  { name: 'open', label: 'ws-auth app, public namespace (baseline)', server: 'ws-auth-io', path: OPEN_PATH, credential: { kind: 'none' } },
  { name: 'guarded', label: 'ws-auth app, `@WsAuth()` namespace', server: 'ws-auth-io', path: GUARDED_PATH, credential: { kind: 'io_token' } },
];

export const SOCKET_IO_HANDSHAKE_SCENARIOS = HANDSHAKES;
export const SOCKET_IO_MESSAGE_SCENARIOS = MESSAGES;

/**
 * Handshakes and messages over Socket.IO (Engine.IO on the WebSocket
 * transport), with the same rounds, settings and load generators as the
 * `ws` suites: each load process speaks the protocol over a bare `ws`
 * socket (`load/open-socket-io-socket.ts`), so the server, not the client
 * library, sets the pace (its ELU says whether it did). Ratios are taken
 * within each round, then the median.
 */
export async function runSocketIoSuite(settings: BenchSettings, cpuProfileDir?: string): Promise<SuiteResult> {
  const servers = new Map<IoServerName, BenchServerProcess>();
  const handshakeRuns = new Map<string, HandshakeRun[]>(HANDSHAKES.map((scenario) => [scenario.name, []]));
  const messageRuns = new Map<string, MessageRun[]>(MESSAGES.map((scenario) => [scenario.name, []]));
  const handshakeLoads = new Map<string, HandshakeLoadProcess>();
  const messageLoads = new Map<string, BenchChild>();
  try {
    await Promise.all(
      (Object.keys(SERVERS) as IoServerName[]).map(async (name) =>
        servers.set(name, await BenchServerProcess.start(`server-${name}`, SERVERS[name], { cpuProfileDir })),
      ),
    );
    await Promise.all(
      HANDSHAKES.map(async (scenario) =>
        handshakeLoads.set(
          scenario.name,
          await HandshakeLoadProcess.start(servers.get(scenario.server)!, scenario.path, settings.handshake, { transport: 'socket.io' }),
        ),
      ),
    );
    for (let round = 0; round < settings.handshake.rounds; round++) {
      for (const scenario of roundOrder(HANDSHAKES, round)) {
        const run = await handshakeLoads.get(scenario.name)!.measure(scenario.credential, settings.handshake);
        handshakeRuns.get(scenario.name)!.push(run);
        benchLog(
          `socket.io handshake ${scenario.name} round ${round + 1}/${settings.handshake.rounds}: ${Math.round(run.rate)}/s, ` +
            `p99 ${run.p99Ms.toFixed(2)} ms, ${Math.round(run.cpuMicrosPerHandshake)} µs CPU, client ${Math.round(run.clientCpuMicrosPerHandshake)} µs, ` +
            `server ELU ${run.eventLoopUtilization.toFixed(2)}${run.failed ? `, ${run.failed} FAILED` : ''}`,
        );
      }
    }
    await Promise.all([...handshakeLoads.values()].map((load) => load.stop()));
    handshakeLoads.clear();

    for (const scenario of MESSAGES) {
      const server = servers.get(scenario.server)!;
      const config: MessageLoadConfig = {
        url: socketIoUrl(server.url('')),
        socketIoNamespace: scenario.path,
        credential: scenario.credential,
        sockets: settings.message.sockets,
        window: settings.message.window,
      };
      const load = await BenchChild.start('message-load', 'load/message-load.js', config);
      messageLoads.set(scenario.name, load);
      await load.request('open');
    }
    for (let round = 0; round < settings.message.rounds; round++) {
      for (const scenario of roundOrder(MESSAGES, round)) {
        const run = await runMessages(servers.get(scenario.server)!, messageLoads.get(scenario.name)!, settings.message);
        messageRuns.get(scenario.name)!.push(run);
        benchLog(
          `socket.io message ${scenario.name} round ${round + 1}/${settings.message.rounds}: ${Math.round(run.rate)}/s, ` +
            `${run.cpuMicrosPerMessage.toFixed(1)} µs CPU, server ELU ${run.eventLoopUtilization.toFixed(2)}`,
        );
      }
    }
  } finally {
    await Promise.all([...handshakeLoads.values(), ...messageLoads.values()].map((load) => load.stop()));
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }

  const figures: Figures = {};
  const baseline = handshakeRuns.get(IO_HANDSHAKE_BASELINE)!;
  for (const scenario of HANDSHAKES) {
    const own = handshakeRuns.get(scenario.name)!;
    const s = scenario.name;
    figures[`socket_io_handshake_rate_${s}`] = round(median(own.map((run) => run.rate)), 0);
    figures[`socket_io_handshake_p99_ms_${s}`] = round(median(own.map((run) => run.p99Ms)), 2);
    figures[`socket_io_handshake_server_cpu_us_${s}`] = round(median(own.map((run) => run.cpuMicrosPerHandshake)), 1);
    figures[`socket_io_handshake_client_cpu_us_${s}`] = round(median(own.map((run) => run.clientCpuMicrosPerHandshake)), 1);
    figures[`socket_io_handshake_server_elu_${s}`] = round(median(own.map((run) => run.eventLoopUtilization)), 2);
    figures[`socket_io_handshake_failed_${s}`] = own.reduce((sum, run) => sum + run.failed, 0);
    if (s !== IO_HANDSHAKE_BASELINE) {
      figures[`socket_io_handshake_ratio_${s}`] = round(median(own.map((run, i) => run.rate / baseline[i].rate)), 3);
      figures[`socket_io_handshake_cpu_cost_ratio_${s}`] = round(
        median(own.map((run, i) => run.cpuMicrosPerHandshake / baseline[i].cpuMicrosPerHandshake)),
        3,
      );
    }
  }
  const messageRatio = (name: string, base: string, of: (run: MessageRun) => number) =>
    round(median(messageRuns.get(name)!.map((run, i) => of(run) / of(messageRuns.get(base)![i]))), 3);
  figures.socket_io_message_ratio_guarded = messageRatio('guarded', 'open', (run) => run.rate);
  figures.socket_io_message_cpu_cost_ratio_guarded = messageRatio('guarded', 'open', (run) => run.cpuMicrosPerMessage);
  figures.socket_io_message_ratio_guarded_vs_nest_io_adapter = messageRatio('guarded', 'plain', (run) => run.rate);
  figures.socket_io_message_cpu_cost_ratio_guarded_vs_nest_io_adapter = messageRatio('guarded', 'plain', (run) => run.cpuMicrosPerMessage);
  for (const scenario of MESSAGES) {
    const own = messageRuns.get(scenario.name)!;
    figures[`socket_io_message_rate_${scenario.name}`] = round(median(own.map((run) => run.rate)), 0);
    figures[`socket_io_message_server_cpu_us_${scenario.name}`] = round(median(own.map((run) => run.cpuMicrosPerMessage)), 2);
    figures[`socket_io_message_server_elu_${scenario.name}`] = round(median(own.map((run) => run.eventLoopUtilization)), 2);
  }
  return {
    figures,
    runs: {
      socket_io_handshakes: Object.fromEntries(handshakeRuns),
      socket_io_messages: Object.fromEntries(messageRuns),
    },
  };
}
