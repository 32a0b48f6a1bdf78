import type { IncomingMessage } from 'node:http';
import type { WsAuthInfo } from './interfaces/ws-auth-info.interface.js';
import type { WsAuthError } from './ws-auth.errors.js';

// Weak maps rather than properties on the socket: nothing to collide with, and
// nothing outlives the socket or the upgrade request it came from.
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

/** What the handshake decided, kept from `verifyClient` until the socket exists. */
export type HandshakeOutcome =
  | { readonly kind: 'authenticated'; readonly auth: WsAuthInfo; readonly protocol: string | false }
  /** No credential on a first-message gateway: the socket must send `auth` first. */
  | { readonly kind: 'pending'; readonly protocol: string | false }
  /** Refused, but upgraded so a browser can read the close code (`acceptThenClose`). */
  | { readonly kind: 'refused'; readonly error: WsAuthError; readonly protocol: string | false };

const handshakes = new WeakMap<IncomingMessage, HandshakeOutcome>();

export const handshakeOutcomes = {
  set: (request: IncomingMessage, outcome: HandshakeOutcome) => handshakes.set(request, outcome),
  get: (request: IncomingMessage) => handshakes.get(request),
};
