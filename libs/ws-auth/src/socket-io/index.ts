// The Socket.IO entry point, `nestjs-ws-auth/socket.io`: apart from the main
// one so that requiring `nestjs-ws-auth` never loads socket.io (an optional peer).
export { WsAuthIoAdapter } from './ws-auth-io.adapter.js';
export { AUTH_CLOSED_EVENT } from './socket-io.transport.js';
