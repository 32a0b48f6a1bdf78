import type { WebSocket } from 'ws';
import { connectionOf } from './ws-connection.js';

/**
 * What the session registry and the lifecycle need of a socket, whatever
 * carries it: whether it is open, how an unasked event reaches it, how it is
 * ended with a close code, and when it has ended. One object per transport,
 * shared by all its sockets (it travels in the gateway's resolved policy), so
 * an idle socket pays nothing for it.
 */
export interface SocketTransport<TSocket extends object = any> {
  isOpen(socket: TSocket): boolean;
  /** An unasked event (`auth_expiring`). */
  emit(socket: TSocket, event: string, data: unknown): void;
  /** Ends the socket and tells the client why, with a code of `WsCloseCode`. */
  close(socket: TSocket, code: number, reason: string): void;
  /** `listener` runs once the socket has ended, with the socket as `this`. */
  onClose(socket: TSocket, listener: (this: TSocket) => void): void;
}

/** Plain WebSocket (`ws`): frames `{"event","data"}`, and the close code on the close frame. */
export const WS_SOCKET_TRANSPORT: SocketTransport<WebSocket> = {
  isOpen: (socket) => socket.readyState === socket.OPEN,
  emit: (socket, event, data) => socket.send(JSON.stringify({ event, data })),
  close: (socket, code, reason) => {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) {
      socket.close(code, reason);
    }
  },
  onClose: (socket, listener) => socket.on('close', listener),
};

/** The transport of a socket's gateway; `ws` for a socket that carries no record. */
export function transportOf(socket: object): SocketTransport {
  return connectionOf(socket)?.policy.transport ?? WS_SOCKET_TRANSPORT;
}
