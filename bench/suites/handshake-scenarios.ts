import type { ClientCredential } from '../load/client-credential.js';
import { GUARDED_PATH, OPEN_PATH, type ServerConfig } from '../servers/server-config.js';

/** The servers of the handshake suite, each in its own process. */
export const HANDSHAKE_SERVERS = {
  bare: { kind: 'bare' },
  nest: { kind: 'nest' },
  'ws-auth': { kind: 'ws-auth' },
} satisfies Record<string, ServerConfig>;

export type HandshakeServerName = keyof typeof HANDSHAKE_SERVERS;

/** One line of the handshake table: a server, a path, how the client authenticates. */
export interface HandshakeScenario {
  /** The suffix of its figures: `handshake_rate_<name>`, `handshake_ratio_<name>`. */
  readonly name: string;
  readonly label: string;
  readonly server: HandshakeServerName;
  readonly path: string;
  readonly credential: ClientCredential;
  /**
   * Set while the feature the scenario measures is not on this branch: the
   * scenario is listed, its figures are `null`, and this says why.
   */
  readonly pending?: string;
}

/** The baseline every `handshake_ratio_*` is divided by: Nest's WsAdapter without auth. */
export const HANDSHAKE_BASELINE = 'nest';

export const HANDSHAKE_SCENARIOS: readonly HandshakeScenario[] = [
  { name: 'bare', label: 'bare `ws` server (no Nest)', server: 'bare', path: OPEN_PATH, credential: { kind: 'none' } },
  { name: 'nest', label: 'Nest `WsAdapter`, no auth (baseline)', server: 'nest', path: OPEN_PATH, credential: { kind: 'none' } },
  { name: 'header', label: 'ws-auth, HS256 in `Authorization: Bearer`', server: 'ws-auth', path: GUARDED_PATH, credential: { kind: 'header' } },
  { name: 'protocol', label: 'ws-auth, HS256 in subprotocols `access_token, <jwt>`', server: 'ws-auth', path: GUARDED_PATH, credential: { kind: 'protocol' } },
  // Hooks for features being built on other branches. When they land on
  // main: give the ws-auth server the ticket service / issuer, have the server
  // mint tickets (a `mintTickets` operation) before each run and pass them as
  // `{ kind: 'ticket', tickets }`, and drop `pending`.
  {
    name: 'ticket_memory',
    label: 'ws-auth, `?ticket=` redeemed from the memory ticket store',
    server: 'ws-auth',
    path: GUARDED_PATH,
    credential: { kind: 'ticket', tickets: [] },
    pending: 'TicketService is not on main yet (branch tickets)',
  },
  {
    name: 'ticket_redis',
    label: 'ws-auth, `?ticket=` redeemed from Redis (GETDEL)',
    server: 'ws-auth',
    path: GUARDED_PATH,
    credential: { kind: 'ticket', tickets: [] },
    pending: 'RedisTicketStore is not on main yet (branch tickets)',
  },
  {
    name: 'issuer_rs256',
    label: 'ws-auth, an issuer\'s RS256 access token, JWKS key cache warm',
    server: 'ws-auth',
    path: GUARDED_PATH,
    credential: { kind: 'header' },
    pending: 'IssuerVerifier is not on main yet (branch oidc)',
  },
];
