import type { ClientCredential } from '../load/client-credential.js';
import {
  GUARDED_PATH,
  OPEN_PATH,
  TICKETED_PATH,
  VERIFIER_FLOOR_PATH,
  VERIFY_CLIENT_PATH,
  type BenchIssuer,
  type BenchIssuerAlgorithm,
  type ServerConfig,
} from '../servers/server-config.js';
import { issuerToken, type BenchIssuerSigner } from '../support/bench-issuer-keys.js';
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
  /** Single-use credentials (tickets, issuer tokens) to make: enough for a run at the fastest rate seen here, with room. */
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
  /** Distinct users the client cycles through (default: the settings'); fewer: each token comes back sooner. */
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

/**
 * Nest's `WsAdapter` with ws-auth's `JwtVerifier.verify()` alone in
 * `verifyClient`: the baseline plus exactly the verification a ws-auth
 * header handshake does, so that the header scenario minus this one is
 * ws-auth's own work.
 */
export const HANDSHAKE_VERIFIER_FLOOR = 'floor_verifier';

const tickets = async ({ server, ticketsNeeded }: CredentialContext): Promise<ClientCredential> => ({
  kind: 'ticket',
  tickets: await server.mintTickets(ticketsNeeded, TICKETED_PATH),
});

/** Issuer access tokens signed beforehand, each sent once: no verifier has seen one. */
const issuerTokens =
  (alg: BenchIssuerAlgorithm) =>
  ({ signer, ticketsNeeded }: CredentialContext): ClientCredential => ({
    kind: 'tokens',
    tokens: Array.from({ length: ticketsNeeded }, (_, n) => issuerToken(n % ISSUER_USERS, signer, alg)),
  });
/** Distinct subjects of the issuer scenarios. */
const ISSUER_USERS = 100;

export const HANDSHAKE_SCENARIOS: readonly HandshakeScenario[] = [
  { name: 'bare', label: 'bare `ws` server (no Nest)', server: 'bare', path: OPEN_PATH, credential: () => ({ kind: 'none' }) },
  { name: 'nest', label: 'Nest `WsAdapter`, no auth (baseline)', server: 'nest', path: OPEN_PATH, credential: () => ({ kind: 'none' }) },
  {
    name: 'floor_jwt',
    label: 'Nest `WsAdapter`, one `JwtService.verify()` in `verifyClient`, no ws-auth (the floor)',
    server: 'nest',
    path: VERIFY_CLIENT_PATH,
    credential: () => ({ kind: 'header', fresh: true }),
  },
  {
    name: HANDSHAKE_VERIFIER_FLOOR,
    label: 'Nest `WsAdapter`, ws-auth\'s `JwtVerifier.verify()` alone in `verifyClient` (the verifier floor)',
    server: 'nest',
    path: VERIFIER_FLOOR_PATH,
    credential: () => ({ kind: 'header', fresh: true }),
  },
  {
    name: 'header',
    label: 'ws-auth, HS256 in `Authorization: Bearer`, a fresh token each time',
    server: 'ws-auth',
    path: GUARDED_PATH,
    credential: () => ({ kind: 'header', fresh: true }),
  },
  {
    name: 'header_seen',
    label: 'ws-auth, HS256 in `Authorization: Bearer`, a token the server has verified before (200 users reconnecting)',
    server: 'ws-auth',
    path: GUARDED_PATH,
    credential: () => ({ kind: 'header' }),
    users: 200,
  },
  {
    name: 'protocol',
    label: 'ws-auth, HS256 in subprotocols `access_token, <jwt>`, a fresh token each time',
    server: 'ws-auth',
    path: GUARDED_PATH,
    credential: () => ({ kind: 'protocol', fresh: true }),
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
    label: 'ws-auth, an issuer\'s RS256 access token (`IssuerVerifier`, JWKS cached), a fresh token each time',
    server: 'ws-auth-issuer',
    path: GUARDED_PATH,
    credential: issuerTokens('RS256'),
  },
  {
    name: 'issuer_es256',
    label: 'ws-auth, an issuer\'s ES256 access token (`IssuerVerifier`, JWKS cached), a fresh token each time',
    server: 'ws-auth-issuer',
    path: GUARDED_PATH,
    credential: issuerTokens('ES256'),
  },
];
