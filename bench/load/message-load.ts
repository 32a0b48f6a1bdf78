import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { receiveConfig, serveIpc } from '../support/ipc-endpoint.js';
import { ClientCredentials, type ClientCredential } from './client-credential.js';
import { openSocket } from './open-socket.js';
import { openSocketIoSocket } from './open-socket-io-socket.js';

export interface MessageLoadConfig {
  readonly url: string;
  readonly credential: ClientCredential;
  /** Open sockets, each sending echo frames. */
  readonly sockets: number;
  /** Frames each socket keeps in flight: it sends one more per reply. */
  readonly window: number;
  /** Socket.IO: `url` is the Engine.IO endpoint, the sockets join this namespace and frames are its EVENT packets. */
  readonly socketIoNamespace?: string;
}

export interface MessageRunResult {
  /** Replies received within the run. */
  readonly replies: number;
  readonly elapsedMs: number;
}

/**
 * Keeps `window` echo frames in flight on each of its sockets and counts
 * the replies: the handler's throughput under a closed loop.
 */
const config = await receiveConfig<MessageLoadConfig>();
const credentials = new ClientCredentials(config.url, config.credential);
const namespace = config.socketIoNamespace;
const echo = { room: 'bench', text: 'a message of a few dozen bytes' };
// Over Socket.IO, an EVENT packet of the namespace (`42/nsp,["echo",data]`); the gateway's reply is one too.
const frame = namespace === undefined ? JSON.stringify({ event: 'echo', data: echo }) : `42${namespace},${JSON.stringify(['echo', echo])}`;
const isReply = namespace === undefined ? () => true : (data: Buffer) => data[0] === 0x34 && data[1] === 0x32; // '42': not a ping
const sockets: WebSocket[] = [];
let replies = 0;
let sending = false;
let inFlight = 0;
let drained: (() => void) | undefined;

async function open(): Promise<{ open: number }> {
  for (let i = 0; i < config.sockets; i++) {
    const socket = await (namespace === undefined ? openSocket(credentials.handshake(i), i) : openSocketIoSocket(credentials.handshake(i), namespace, i));
    if (!socket) {
      throw new Error(`socket ${i} was refused`);
    }
    socket.on('message', (data: Buffer) => {
      if (!isReply(data)) {
        return;
      }
      replies++;
      inFlight--;
      if (sending) {
        send(socket);
      } else if (inFlight === 0) {
        drained?.();
      }
    });
    sockets.push(socket);
  }
  return { open: sockets.length };
}

function send(socket: WebSocket): void {
  inFlight++;
  socket.send(frame);
}

async function run({ durationMs }: { durationMs: number }): Promise<MessageRunResult> {
  replies = 0;
  sending = true;
  const started = performance.now();
  for (const socket of sockets) {
    for (let i = 0; i < config.window; i++) {
      send(socket);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const counted = replies;
  const elapsedMs = performance.now() - started;
  // Let what is in flight come back, so the next run starts from an idle server.
  sending = false;
  if (inFlight > 0) {
    await new Promise<void>((resolve) => (drained = resolve));
  }
  return { replies: counted, elapsedMs };
}

serveIpc({ open, run });
