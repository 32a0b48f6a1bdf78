/** Which server a bench-server process runs. */
export type ServerConfig =
  /** `ws`'s own WebSocketServer on a node:http server: no Nest at all. */
  | { readonly kind: 'bare' }
  /** A Nest app with `WsAdapter` and the echo gateway, unguarded. */
  | { readonly kind: 'nest' }
  /**
   * A Nest app with `WsAuthAdapter`: the echo gateway guarded at `/guarded`
   * (sources header and protocol), unguarded at `/open`. With `redisPort`,
   * revocations go through `RedisSessionStore` on that Redis.
   */
  | { readonly kind: 'ws-auth'; readonly redisPort?: number };

/** Paths of the echo gateways, the same on every server. */
export const OPEN_PATH = '/open';
export const GUARDED_PATH = '/guarded';

/** What a server process says when it is ready. */
export interface ServerInfo {
  readonly port: number;
  readonly pid: number;
}
