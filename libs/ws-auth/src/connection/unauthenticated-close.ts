import type { WebSocket } from 'ws';
import type { WsAuthAuditor } from '../audit/ws-auth-auditor.js';
import type { WsAuthCloseReason } from '../audit/ws-auth-audit-event.interface.js';
import type { WsAuthErrorCode } from '../ws-auth.errors.js';
import { WS_SOCKET_TRANSPORT } from './socket-transport.js';

/** How long a socket that never authenticated may take to answer our close frame before it is cut. */
const UNAUTHENTICATED_CLOSE_GRACE_MS = 1000;

/**
 * Closes a socket that never authenticated, and cuts it if the peer does not
 * answer the close frame in time. ws waits 30 s for the peer's close frame: a
 * peer that never answers would hold its socket that long after leaving the
 * pending count, so `maxPendingSockets` would not bound what unauthenticated
 * clients hold.
 */
export function closeUnauthenticated(
  auditor: WsAuthAuditor,
  socket: WebSocket,
  why: WsAuthCloseReason,
  code: number,
  text: string,
  refusal?: WsAuthErrorCode,
): void {
  WS_SOCKET_TRANSPORT.close(socket, code, text);
  const timer = setTimeout(() => socket.terminate(), UNAUTHENTICATED_CLOSE_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  auditor.socket(socket, {
    type: why === 'refused' && refusal !== undefined ? 'handshake_refused' : 'socket_closed',
    reason: why,
    code: refusal,
    closeCode: code,
  });
}
