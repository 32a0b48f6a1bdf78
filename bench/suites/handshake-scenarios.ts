import type { ClientCredential } from '../load/client-credential.js';
import { GUARDED_PATH, OPEN_PATH, TICKETED_PATH, VERIFY_CLIENT_PATH, type BenchIssuer, type ServerConfig } from '../servers/server-config.js';
import type { BenchIssuerSigner } from '../support/bench-issuer-keys.js';
import type { BenchServerProcess } from '../support/bench-server-process.js';

/** The servers of the handshake suite, each in its own process. */
export type HandshakeServerName =
  | 'bare'
  | 'nest'
  | 'ws-auth'
  | 'ws-auth-memory-tickets'
  | 'ws-auth-redis-tickets'
  | 'ws-auth-issuer';

export function handshakeServers(redisPort: number, issuer: BenchIssuer): Record<HandshakeServerName, ServerConfig> {
  return {
    bare: { kind: 'bare' },
    nest: { kind: 'nest' },
    'ws-auth': { kind: 'ws-auth' },
    // A process of its own: tickets minted and not redeemed stay in its heap
    // until they expire, and would tax the garbage collection of the others.
    'ws-auth-memory-tickets': { kind: 'ws-auth', tickets: { store: 'memory' } },
    'ws-auth-redis-tickets': { kind: 'ws-auth', tickets: { store: 'redis', redisPort } },
    'ws-auth-issuer': { kind: 'ws-auth', issuer },
  };
}

/** What a scenario may need to make its client's credential for one run. */
export interface CredentialContext {
  readonly server: BenchServerProcess;
  readonly signer: BenchIssuerSigner;
  /** Single-use credentials to make: enough for a run at the fastest rate seen here, with room. */
  readonly ticketsNeeded: number;
}

/** One line of the handshake table: a server, a path, how the client authenticates. */
export interface HandshakeScenario {
  /** The suffix of its figures: `handshake_rate_<name>`, `handshake_ratio_<name>`. */
  readonly name: string;
  readonly label: string;
  readonly server: HandshakeServerName;
  readonly path: string;
  readonly credential: (context: CredentialContext) => ClientCredential | Promise<ClientCredential>;
  /** Distinct users the client cycles through (default: the settings'); RSA signing makes issuer tokens dear to make. */
  readonly users?: number;
  /**
   * A hook for a scenario whose feature is not on this branch yet: it is
   * listed, its figures are `null`, and this says why.
   */
  readonly pending?: string;
}

/** The baseline every `handshake_ratio_*` is divided by: Nest's WsAdapter without auth. */
export const HANDSHAKE_BASELINE = 'nest';

/** The least an app can do to authenticate a header token at the handshake with @nestjs/jwt, without ws-auth. */
export const HANDSHAKE_FLOOR = 'floor_jwt';

const tickets = async ({ server, ticketsNeeded }: CredentialContext): Promise<ClientCredential> => ({
  kind: 'ticket',
  tickets: await server.mintTickets(ticketsNeeded, TICKETED_PATH),
});

export const HANDSHAKE_SCENARIOS: readonly HandshakeScenario[] = [
  { name: 'bare', label: 'bare `ws` server (no Nest)', server: 'bare', path: OPEN_PATH, credential: () => ({ kind: 'none' }) },
  { name: 'nest', label: 'Nest `WsAdapter`, no auth (baseline)', server: 'nest', path: OPEN_PATH, credential: () => ({ kind: 'none' }) },
  {
    name: 'floor_jwt',
    label: 'Nest `WsAdapter`, one `JwtService.verify()` in `verifyClient`, no ws-auth (the floor)',
    server: 'nest',
    path: VERIFY_CLIENT_PATH,
    credential: () => ({ kind: 'header' }),
  },
  { name: 'header', label: 'ws-auth, HS256 in `Authorization: Bearer`', server: 'ws-auth', path: GUARDED_PATH, credential: () => ({ kind: 'header' }) },
  {
    name: 'protocol',
    label: 'ws-auth, HS256 in subprotocols `access_token, <jwt>`',
    server: 'ws-auth',
    path: GUARDED_PATH,
    credential: () => ({ kind: 'protocol' }),
  },
  {
    name: 'ticket_memory',
    label: 'ws-auth, `?ticket=` from the memory ticket store',
    server: 'ws-auth-memory-tickets',
    path: TICKETED_PATH,
    credential: tickets,
  },
  {
    name: 'ticket_redis',
    label: 'ws-auth, `?ticket=` from Redis (`GETDEL`)',
    server: 'ws-auth-redis-tickets',
    path: TICKETED_PATH,
    credential: tickets,
  },
  {
    name: 'issuer_rs256',
    label: 'ws-auth, an issuer\'s RS256 access token (`IssuerVerifier`, JWKS cached)',
    server: 'ws-auth-issuer',
    path: GUARDED_PATH,
    credential: ({ signer }) => ({ kind: 'issuer', signer }),
    users: 100,
  },
];
