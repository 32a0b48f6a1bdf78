import type { IncomingMessage } from 'node:http';
import type { WsAuthInfo } from './interfaces/ws-auth-info.interface.js';

// Weak maps rather than properties on the socket: nothing to collide with, and
// nothing outlives the socket or the upgrade request it came from.
const sockets = new WeakMap<object, WsAuthInfo>();

/**
 * The authentication of a socket, or `undefined` for a socket that is not
 * (or no longer) authenticated. Usable in `handleConnection(client, req)`.
 */
export function getWsAuth<TPrincipal = unknown>(client: object): WsAuthInfo<TPrincipal> | undefined {
  return sockets.get(client) as WsAuthInfo<TPrincipal> | undefined;
}

export function setWsAuth(client: object, info: WsAuthInfo): void {
  sockets.set(client, info);
}

export function clearWsAuth(client: object): void {
  sockets.delete(client);
}

/** What the handshake decided, kept from `verifyClient` until the socket exists. */
export interface HandshakeOutcome {
  readonly auth: WsAuthInfo;
  readonly protocol: string | false;
}

const handshakes = new WeakMap<IncomingMessage, HandshakeOutcome>();

export const handshakeOutcomes = {
  set: (request: IncomingMessage, outcome: HandshakeOutcome) => handshakes.set(request, outcome),
  get: (request: IncomingMessage) => handshakes.get(request),
};
