import WebSocket from 'ws';
import { sourceAddress } from '../support/loopback-addresses.js';
import type { ClientHandshake } from './client-credential.js';

/**
 * The Engine.IO (v4) URL of a server's Socket.IO endpoint, WebSocket
 * transport from the first request: what `socket.io-client` asks for with
 * `transports: ['websocket']`.
 */
export function socketIoUrl(base: string): string {
  return `${base}/socket.io/?EIO=4&transport=websocket`;
}

/**
 * One Socket.IO client connection, spoken over a plain `ws` socket: Engine.IO's
 * OPEN packet (`0{...}`) from the server, the client's namespace CONNECT
 * (`40/nsp,{auth}`), and the server's CONNECT (`40/nsp,{"sid"}`) or
 * CONNECT_ERROR (`44/nsp,{...}`). Resolves with the socket once the
 * namespace accepted it, or with `undefined` on a refusal or failure.
 *
 * Why not `socket.io-client`: it builds a Manager, an Engine.IO socket and
 * their timers for every connection, about as much work as the server does,
 * so a load process of it paces the server instead of loading it. The
 * packets here are what it sends on the WebSocket transport (Socket.IO
 * protocol v5, socket.io-protocol's README); the server is the real one.
 *
 * The socket keeps answering Engine.IO's heartbeat (`2` ping, `3` pong), so
 * sockets held open longer than `pingInterval` stay open.
 */
export function openSocketIoSocket(handshake: ClientHandshake, namespace: string, n: number): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(handshake.url, [], {
      headers: handshake.headers,
      localAddress: sourceAddress(n),
      perMessageDeflate: false,
    });
    const connected = `40${namespace},`;
    const refused = `44${namespace},`;
    let settled = false;
    const settle = (value: WebSocket | undefined) => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    socket.on('message', (data: Buffer) => {
      const packet = data.toString();
      if (packet === '2') {
        socket.send('3');
      } else if (settled) {
        return;
      } else if (packet.startsWith('0')) {
        socket.send(`${connected}${JSON.stringify(handshake.auth ?? {})}`);
      } else if (packet.startsWith(connected)) {
        settle(socket);
      } else if (packet.startsWith(refused)) {
        socket.terminate();
        settle(undefined);
      }
    });
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      settle(undefined);
    });
    socket.on('error', () => settle(undefined));
    socket.once('close', () => settle(undefined));
  });
}
