/** Which server a bench-server process runs. */
export type ServerConfig =
  /** `ws`'s own WebSocketServer on a node:http server: no Nest at all. */
  | { readonly kind: 'bare' }
  /** A Nest app with `WsAdapter` (or `IoAdapter`) and the echo gateway, unguarded. */
  | { readonly kind: 'nest'; readonly transport?: BenchTransport }
  /** A Nest app with `WsAuthAdapter` and the echo gateway guarded several ways (see bench-gateways.ts). */
  | ({ readonly kind: 'ws-auth' } & WsAuthServerOptions);

/** `ws` (the default): `WsAdapter` / `WsAuthAdapter`. `socket.io`: `IoAdapter` / `WsAuthIoAdapter`, the gateways as namespaces. */
export type BenchTransport = 'ws' | 'socket.io';

export interface WsAuthServerOptions {
  readonly transport?: BenchTransport;
  /** Revocations through `RedisSessionStore` on the Redis at this port (default: in memory). */
  readonly sessionsRedisPort?: number;
  /** Where tickets live: `MemoryTicketStore` (the default), or `RedisTicketStore` on the Redis at `redisPort`. */
  readonly tickets?: { readonly store: 'memory' } | { readonly store: 'redis'; readonly redisPort: number };
  /** Also accept an external issuer's RS256 and ES256 access tokens, its JWKS served from this process. */
  readonly issuer?: BenchIssuer;
  /**
   * One of several instances sharing this Redis (or Redis Cluster) for
   * sessions and tickets alike; overrides `sessionsRedisPort` and `tickets`.
   * The server counts the pub/sub messages its subscriber connection receives.
   */
  readonly sharedRedis?: BenchRedisEndpoint;
}

/** A Redis of the benchmark's own: one server, or the seed nodes of a cluster. */
export type BenchRedisEndpoint =
  | { readonly kind: 'single'; readonly port: number }
  | { readonly kind: 'cluster'; readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }> };

export type BenchIssuerAlgorithm = 'RS256' | 'ES256';

/** A stand-in OAuth issuer: its identifier, the audience of its tokens, its public signing keys (one per algorithm). */
export interface BenchIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly keys: readonly { readonly kid: string; readonly alg: BenchIssuerAlgorithm; readonly publicJwk: Record<string, unknown> }[];
}

/** Paths of the echo gateways, the same on every server (over Socket.IO, the namespaces of `OPEN_PATH` and `GUARDED_PATH`). */
export const OPEN_PATH = '/open';
/** Guarded, credentials from `Authorization: Bearer` or the subprotocols. */
export const GUARDED_PATH = '/guarded';
/** Guarded, credentials from `?ticket=` alone. */
export const TICKETED_PATH = '/ticketed';
/**
 * On the plain Nest app: one `JwtService.verify()` of the bearer token in
 * `ws`'s `verifyClient`, nothing else. The least an app can do to
 * authenticate at the handshake with @nestjs/jwt, without ws-auth.
 */
export const VERIFY_CLIENT_PATH = '/verify-client';
/**
 * On the plain Nest app: ws-auth's own `JwtVerifier.verify()` of the bearer
 * token in `verifyClient`, nothing else. What the verification alone costs,
 * so that a ws-auth handshake minus this is ws-auth's own work.
 */
export const VERIFIER_FLOOR_PATH = '/verifier-floor';
/** Public, its handler behind a guard that allows everything: what Nest's guard pipeline costs by itself. */
export const ALLOW_ALL_PATH = '/allow-all';

/** What a server process says when it is ready. */
export interface ServerInfo {
  readonly port: number;
  readonly pid: number;
}
