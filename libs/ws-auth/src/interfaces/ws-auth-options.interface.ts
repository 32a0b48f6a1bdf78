import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Provider, Type } from '@nestjs/common';
import type { WsAuthAuditEvent } from '../audit/ws-auth-audit-event.interface.js';
import type { WsSourceSpec } from '../extractors/credential-sources.js';
import type { SessionStore } from '../sessions/session-store.interface.js';
import type { TicketStore } from '../tickets/ticket-store.interface.js';
import type { WsTokenVerifier } from './token-verifier.interface.js';

/** How one gateway accepts credentials; `@WsAuth()` sets it, the module options give the defaults. */
export interface WsAuthPolicy {
  /**
   * Credential sources, by name or as `WsCredentialSource` objects (e.g.
   * `{ name: 'legacy', extract: ExtractJwt.fromUrlQueryParameter('jwt') }`).
   * Exactly one credential may be present. Default `['header', 'protocol']`,
   * or `['ticket', 'header', 'protocol']` when the module has `tickets` options.
   */
  sources?: WsSourceSpec[];
  /** The gateway's own subprotocols: never mistaken for a token, selectable beside one. */
  protocols?: string[];
  /**
   * Accept a handshake without any credential as a *pending* socket that must
   * send `{"event":"auth","data":{"token"}}` first (within `timeoutMs`, default
   * the module's `firstMessageTimeoutMs`). A credential that is present but
   * bad is still refused at the handshake.
   */
  firstMessage?: boolean | { timeoutMs?: number };
  /**
   * Browsers see a refused handshake only as close 1006. With this, a refused
   * credential gets an accepted upgrade closed at once with 4401/4403 (1013
   * when it could not be judged), which a page can read. The socket never
   * reaches the gateway. A foreign Origin is still refused with 403.
   */
  acceptThenClose?: boolean;
  /**
   * Open sockets one subject (`sub`) may hold on this instance, counted over
   * every authenticated gateway; the limit of the gateway being opened
   * decides. The handshake past it gets `429` with `Retry-After` (a pending
   * socket's `auth` past it: close `4429`). Unset: no limit. Per instance:
   * several instances each allow this many.
   */
  maxSocketsPerSubject?: number;
}

export interface WsAuthModuleOptions extends WsAuthPolicy {
  /** Tried in order until one recognises the token (`JwtVerifier`, `PassportVerifier`, your own). */
  verifiers: WsTokenVerifier[];
  /**
   * Exact `Origin` values allowed to open sockets (`https://app.example.com`).
   * A request without `Origin` is a non-browser client and is judged by its
   * credential alone. Unset: any Origin, and the cookie source is never honoured.
   */
  allowedOrigins?: string[];
  /** The `realm` of `WWW-Authenticate`. Default `ws`. */
  realm?: string;
  /** Longer credentials are refused before any verification work. Default 8 KiB. */
  maxTokenLength?: number;
  /** More offered subprotocols than this are refused. Default 16. */
  maxProtocols?: number;
  /** Bound on verifying one credential; past it the handshake gets 503. Default 1000 ms. */
  verifyTimeoutMs?: number;
  /** Unauthenticated (pending) sockets allowed at once; past it, handshakes get 503. Default 1000. */
  maxPendingSockets?: number;
  /**
   * Pending sockets one client address may hold at once, so that one client
   * cannot take every pending slot; past it, that address's handshakes
   * without a credential get 503 and other addresses are not affected. Default 100.
   */
  maxPendingSocketsPerAddress?: number;
  /**
   * Where the client address of those limits comes from: by default the TCP
   * peer's. Behind a reverse proxy every client shares the proxy's address;
   * name the header your proxy sets (`x-forwarded-for`: its last entry is
   * used, the one your proxy appended; `x-real-ip`). Only with a proxy you
   * control in front: a client can send any header itself.
   */
  clientAddressHeader?: string;
  /** How long a pending socket may wait before its `auth` frame; then 4408. Default 5000 ms. */
  firstMessageTimeoutMs?: number;
  sessions?: {
    /** Revocations and session events. Default: in-process memory (`MemorySessionStore`). */
    store?: SessionStore;
    /** `auth_expiring` is sent this long before `exp` (at most half the token's remaining life). Default 60. */
    expiringHintSec?: number;
  };
  /**
   * Receives every accepted and refused handshake and every socket the
   * library authenticates, refreshes or closes (never a credential), to route
   * to your logger or SIEM. Default: refusals and forced closes are logged by
   * the `WsAuth` logger at `debug` (`warn` when a store or issuer cannot answer).
   */
  audit?: (event: WsAuthAuditEvent) => void;
  /**
   * Prometheus metrics of what the library decides (handshakes, open and
   * pending sockets, forced closes, decision time, revocations), through
   * `prom-client`, an optional peer loaded only when this is set. Unset: no
   * metrics, and prom-client is never loaded.
   */
  metrics?: WsAuthMetricsOptions;
  /**
   * Connection tickets (`TicketService`, the `ticket` source). Setting it,
   * even to `{}`, makes `ticket` a default source.
   */
  tickets?: WsTicketOptions;
}

export interface WsAuthMetricsOptions {
  /**
   * The prom-client `Registry` to register the series on (the one your
   * `/metrics` endpoint serves, e.g. `@willsoto/nestjs-prometheus`'s).
   * Default: prom-client's global `register`.
   */
  registry?: WsAuthMetricsRegistry;
}

/**
 * What the library needs of a prom-client `Registry`, spelled out so that
 * the library's types do not need prom-client installed.
 */
export interface WsAuthMetricsRegistry {
  registerMetric(metric: any): void;
  getSingleMetric(name: string): unknown;
}

export interface WsTicketOptions {
  /**
   * Where tickets live until redeemed. Default: a `MemoryTicketStore`, which
   * serves one process; several instances need a shared one (`RedisTicketStore`).
   */
  store?: TicketStore;
  /** Ticket lifetime, whole seconds (never beyond the minting token's `exp`). Default 30. */
  ttlSec?: number;
}

/** A provider that builds the module options, for `forRootAsync({ useClass })` or `({ useExisting })`. */
export interface WsAuthOptionsFactory {
  createWsAuthOptions(): WsAuthModuleOptions | Promise<WsAuthModuleOptions>;
}

/** Exactly one of `useFactory`, `useClass`, `useExisting`, as in `@nestjs/jwt` and `@nestjs/throttler`. */
export interface WsAuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => WsAuthModuleOptions | Promise<WsAuthModuleOptions>;
  /** Providers handed to `useFactory`. */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** A class the module instantiates to build the options. */
  useClass?: Type<WsAuthOptionsFactory>;
  /** A provider of the app (from `imports`) that builds the options. */
  useExisting?: InjectionToken<WsAuthOptionsFactory>;
  extraProviders?: Provider[];
}
