import type { IncomingMessage } from 'node:http';
import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';
import { WsAuthError } from '../ws-auth.errors.js';

/**
 * The request a namespace connection is judged by: Engine.IO's handshake
 * request (its headers and TCP socket, through the prototype) plus the
 * CONNECT packet's `auth` payload, which is the namespace's own and so cannot
 * live on the request the namespaces of one connection share. Its URL is the
 * namespace: the gateway a ticket's path binding names (Engine.IO's own URL
 * is `/socket.io/?EIO=4&...` for every namespace).
 */
const payloads = new WeakMap<IncomingMessage, unknown>();

export function namespaceRequest(handshakeRequest: IncomingMessage, namespace: string, auth: unknown): IncomingMessage {
  const request = Object.create(handshakeRequest, { url: { value: namespace, enumerable: true } }) as IncomingMessage;
  payloads.set(request, auth);
  return request;
}

/**
 * Reads one field of the `auth` payload: absent is no credential; anything
 * but a string (an object, an array: a client that tries to smuggle two) is a
 * malformed request, refused before any verifier sees it.
 */
function fromHandshakeAuth(field: string): (request: IncomingMessage) => string | null {
  return (request) => {
    const auth = payloads.get(request);
    if (auth === undefined || auth === null) {
      return null;
    }
    if (typeof auth !== 'object' || Array.isArray(auth)) {
      throw new WsAuthError('invalid_request', 'The auth payload is not an object');
    }
    const value = (auth as Record<string, unknown>)[field];
    if (value === undefined || value === null) {
      return null;
    }
    if (typeof value !== 'string') {
      throw new WsAuthError('invalid_request', `auth.${field} is not a string`);
    }
    return value;
  };
}

/**
 * A gateway's sources as Socket.IO carries them: an access token in
 * `auth.token` first (named `auth`), the ticket in `auth.ticket` instead of
 * the URL (tickets stay out of URLs, and so out of access logs), no
 * subprotocol (Socket.IO offers none to carry one), and every other source
 * (header, cookie, custom ones) read from the Engine.IO handshake request.
 */
export function socketIoSources(sources: readonly WsCredentialSource[]): WsCredentialSource[] {
  const token: WsCredentialSource = { name: 'auth', extract: fromHandshakeAuth('token') };
  return [
    token,
    ...sources.flatMap((source): WsCredentialSource[] => {
      if (source.name === 'protocol') {
        return [];
      }
      if (source.name === 'ticket') {
        return [{ ...source, extract: fromHandshakeAuth('ticket') }];
      }
      return [source];
    }),
  ];
}
