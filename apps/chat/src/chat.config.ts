import { randomBytes } from 'node:crypto';

/** The sample app's settings, read from the environment (CONTRACT.md, "Starting it"). */
export interface ChatConfig {
  port: number;
  host: string;
  jwtSecret: string;
  /** True when no JWT_SECRET was given and one was generated for this start. */
  jwtSecretGenerated: boolean;
  accessTokenTtlSec: number;
  ticketTtlSec: number;
  authTimeoutMs: number;
  allowedOrigins: string[];
  /** Redis, when tickets, revocations and rooms are shared by several instances (`REDIS_URL` or `REDIS_CLUSTER_NODES`). */
  redis?: ChatRedisConfig;
  /** `ws` (plain WebSocket gateways) or `socket.io` (the same chat over Socket.IO 4), from `WS_TRANSPORT`. */
  transport: ChatTransport;
  /** Open sockets one `sub` may hold on this instance (`MAX_SOCKETS_PER_USER`). */
  maxSocketsPerUser: number;
  /** An OpenID Connect issuer whose access tokens are accepted beside our own (`OIDC_ISSUER`, `OIDC_AUDIENCE`). */
  oidc?: OidcIssuerConfig;
}

export type ChatTransport = 'ws' | 'socket.io';

/**
 * One Redis (`REDIS_URL`), or the seed nodes of a Redis Cluster
 * (`REDIS_CLUSTER_NODES`, `host:port,...`, parsed and checked by the
 * library's `createRedisClusterClient` when the app starts).
 */
export type ChatRedisConfig = { url: string } | { clusterNodes: string };

export interface OidcIssuerConfig {
  /** The issuer identifier, exactly as the `iss` of its tokens. */
  issuer: string;
  /** The `aud` its tokens must carry to be accepted here. */
  audience: string;
}

const MIN_JWT_SECRET_BYTES = 32;

export function loadChatConfig(env: NodeJS.ProcessEnv = process.env): ChatConfig {
  const port = integer(env, 'PORT', 3000, 0);
  const secret = env.JWT_SECRET;
  if (secret && Buffer.byteLength(secret) < MIN_JWT_SECRET_BYTES) {
    // RFC 7518 §3.2; the library refuses it too, this says which variable to fix.
    throw new Error(
      `JWT_SECRET is ${Buffer.byteLength(secret)} bytes: an HS256 secret needs at least ${MIN_JWT_SECRET_BYTES} ` +
        '(e.g. `openssl rand -base64 32`)',
    );
  }
  return {
    port,
    host: env.HOST || '127.0.0.1',
    jwtSecret: secret || randomBytes(32).toString('base64url'),
    jwtSecretGenerated: !secret,
    accessTokenTtlSec: integer(env, 'ACCESS_TOKEN_TTL', 900, 1),
    ticketTtlSec: integer(env, 'TICKET_TTL', 30, 1),
    authTimeoutMs: integer(env, 'AUTH_TIMEOUT_MS', 5000, 1),
    allowedOrigins: env.ALLOWED_ORIGINS
      ? env.ALLOWED_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean)
      : [`http://localhost:${port}`, `http://127.0.0.1:${port}`],
    redis: redis(env),
    transport: transport(env),
    maxSocketsPerUser: integer(env, 'MAX_SOCKETS_PER_USER', 20, 1),
    oidc: oidcIssuer(env),
  };
}

/**
 * Without an audience any token of the issuer would do, including those it
 * mints for other APIs (RFC 9068 §4): so the one needs the other.
 */
function oidcIssuer(env: NodeJS.ProcessEnv): OidcIssuerConfig | undefined {
  const issuer = env.OIDC_ISSUER || undefined;
  const audience = env.OIDC_AUDIENCE || undefined;
  if (issuer && !audience) {
    throw new Error('OIDC_ISSUER is set but OIDC_AUDIENCE is not: set it to the aud that the issuer puts in access tokens for this app');
  }
  if (audience && !issuer) {
    throw new Error('OIDC_AUDIENCE is set but OIDC_ISSUER is not: set the issuer whose tokens carry that aud');
  }
  return issuer && audience ? { issuer, audience } : undefined;
}

/**
 * Both set would leave it to the code which one holds the revocations, and an
 * operator who moved to the cluster but left the old URL behind would split
 * the fleet between two stores, each blind to the other's logouts: so the
 * start stops instead.
 */
function redis(env: NodeJS.ProcessEnv): ChatRedisConfig | undefined {
  const url = env.REDIS_URL || undefined;
  const nodes = env.REDIS_CLUSTER_NODES || undefined;
  if (url && nodes) {
    throw new Error('REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL for one Redis, or REDIS_CLUSTER_NODES for a Redis Cluster, not both');
  }
  if (nodes) {
    return { clusterNodes: nodes };
  }
  return url ? { url } : undefined;
}

function transport(env: NodeJS.ProcessEnv): ChatTransport {
  const value = env.WS_TRANSPORT || 'ws';
  if (value !== 'ws' && value !== 'socket.io') {
    throw new Error(`WS_TRANSPORT must be "ws" or "socket.io", got "${value}"`);
  }
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer of at least ${min}, got "${raw}"`);
  }
  return value;
}
