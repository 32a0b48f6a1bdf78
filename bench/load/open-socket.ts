import WebSocket from 'ws';
import { sourceAddress } from '../support/loopback-addresses.js';
import type { ClientHandshake } from './client-credential.js';

/**
 * Opens one client socket; resolves with it once open, or with `undefined`
 * when the handshake is refused or fails. `n` picks the loopback source address.
 */
export function openSocket(handshake: ClientHandshake, n: number): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(handshake.url, handshake.protocols, {
      headers: handshake.headers,
      localAddress: sourceAddress(n),
      // Not negotiated by any server here (ws servers default to off); not offering it keeps the request equal for all.
      perMessageDeflate: false,
    });
    socket.once('open', () => {
      socket.off('error', onError);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      resolve(undefined);
    });
    const onError = () => resolve(undefined);
    socket.once('error', onError);
  });
}
