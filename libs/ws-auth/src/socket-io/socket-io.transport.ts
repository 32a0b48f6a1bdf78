import type { Socket } from 'socket.io';
import type { SocketTransport } from '../connection/socket-transport.js';

/** The event a Socket.IO client receives before the server ends its socket: `{ code, reason }`. */
export const AUTH_CLOSED_EVENT = 'auth_closed';

/**
 * Socket.IO has no close code: the client is told why in `auth_closed` (the
 * codes of `WsCloseCode`, so it knows whether a fresh credential would help),
 * then the namespace socket is disconnected, which the client sees as
 * `io server disconnect` and does not reconnect from on its own.
 */
export const SOCKET_IO_TRANSPORT: SocketTransport<Socket> = {
  isOpen: (socket) => socket.connected,
  emit: (socket, event, data) => socket.emit(event, data),
  close: (socket, code, reason) => {
    if (!socket.connected) {
      return;
    }
    socket.emit(AUTH_CLOSED_EVENT, { code, reason });
    socket.disconnect();
  },
  onClose: (socket, listener) => socket.on('disconnect', listener),
};
