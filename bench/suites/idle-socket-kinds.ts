import type { ClientCredential } from '../load/client-credential.js';
import { GUARDED_PATH, OPEN_PATH, type ServerConfig } from '../servers/server-config.js';

/** Idle sockets of one kind: the server that holds them, where, and how the client opened them. */
export interface IdleSocketKind {
  readonly server: ServerConfig;
  readonly path: string;
  readonly credential: ClientCredential;
}

/** Plain sockets on Nest's WsAdapter: the baseline of the memory and live-sockets suites. */
export const UNAUTHENTICATED_SOCKETS: IdleSocketKind = { server: { kind: 'nest' }, path: OPEN_PATH, credential: { kind: 'none' } };

/** Sockets authenticated by ws-auth with a header token, each its own user and session. */
export const AUTHENTICATED_SOCKETS: IdleSocketKind = { server: { kind: 'ws-auth' }, path: GUARDED_PATH, credential: { kind: 'header' } };
