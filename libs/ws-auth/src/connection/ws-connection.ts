import type { IncomingMessage } from 'node:http';
import type { OfferedProtocols } from '../extractors/subprotocol.extractor.js';
import type { WsAuthInfo } from '../interfaces/ws-auth-info.interface.js';
import type { WsAuthError } from '../ws-auth.errors.js';
import type { ResolvedPolicy } from '../handshake/resolved-policy.js';

/** What the handshake decided for a connection that got its `101`. */
export type ConnectionDecision =
  | 'authenticated'
  /** No credential on a first-message gateway: the socket must send `auth` first. */
  | 'pending'
  /** Refused, but upgraded so a browser can read the close code (`acceptThenClose`). */
  | 'refused';

/**
 * One connection, from its upgrade request to its close. The transport
 * adapter builds it when the request arrives; the handshake pipeline's steps
 * fill it in; it then travels with the socket to the lifecycle, the session
 * registry and the auditor, which read it instead of tables of their own.
 * Nothing in it belongs to a transport: the `ws` and Socket.IO adapters build
 * the same record.
 */
export class WsConnection {
  /**
   * What the steps before the `101` find and decide; dropped once the socket
   * exists, since an idle socket pays for every field it keeps (and the
   * offer may spell the token).
   */
  handshake: HandshakeState | undefined = new HandshakeState();
  /**
   * What the socket keeps of its upgrade request, without credentials, for
   * the verifiers that run again at an in-band refresh; nothing when none of
   * them reads it (`WsTokenVerifier.readsRequest`).
   */
  request?: IncomingMessage;
  /**
   * The subject whose `maxSocketsPerSubject` slot this connection holds,
   * until its transport socket closes; unset while no limit is configured.
   */
  slot?: string;

  constructor(
    /** The gateway's resolved policy; its `gateway.path` is the connection's path. */
    readonly policy: ResolvedPolicy,
    /** The `Origin` header, as sent (a non-browser client sends none). */
    readonly origin: string | undefined,
  ) {}

  get path(): string {
    return this.policy.gateway.path;
  }
}

/** The part of a connection record that lives only until the socket exists. */
export class HandshakeState {
  /** The offered subprotocols, read once by the inspect step. */
  offered: OfferedProtocols | undefined = undefined;
  decision: ConnectionDecision | undefined = undefined;
  /** Why it was refused: at the handshake, or after the upgrade (`decision` `refused`). */
  refusal: WsAuthError | undefined = undefined;
  /** Where it comes from (`clientAddressOf`), for the cap on pending sockets per client: set by the decide step for a socket that may wait, and only then. */
  clientAddress: string | undefined = undefined;
  /** The principal decided at the handshake, until the socket carries it. */
  auth: WsAuthInfo | undefined = undefined;
  /** When the request arrived (`performance.now()`), for the decision-time metric. */
  readonly startedAt = performance.now();
}

// Weak maps: nothing outlives the request or the socket it is keyed by.
const byRequest = new WeakMap<IncomingMessage, WsConnection>();
const bySocket = new WeakMap<object, WsConnection>();

/** The record of an upgrade request, from when the adapter builds it until its socket exists. */
export const connectionOfRequest = (request: IncomingMessage): WsConnection | undefined => byRequest.get(request);

export function bindRequest(request: IncomingMessage, connection: WsConnection): void {
  byRequest.set(request, connection);
}

/** The record a socket carries for its whole life. */
export const connectionOf = (socket: object): WsConnection | undefined => bySocket.get(socket);

export function bindSocket(socket: object, connection: WsConnection): void {
  bySocket.set(socket, connection);
}
