import type { WsAuthInfo } from './interfaces/ws-auth-info.interface.js';

// A weak map rather than a property on the socket: nothing to collide with, and
// nothing outlives the socket (or the HTTP request) it describes.
const sockets = new WeakMap<object, WsAuthInfo>();

/**
 * The authentication of a socket, or `undefined` for a socket that is not
 * (or not yet) authenticated. Usable in `handleConnection(client, req)`.
 */
export function getWsAuth<TPrincipal = unknown>(client: object): WsAuthInfo<TPrincipal> | undefined {
  return sockets.get(client) as WsAuthInfo<TPrincipal> | undefined;
}

export function setWsAuth(client: object, info: WsAuthInfo): void {
  sockets.set(client, info);
}
