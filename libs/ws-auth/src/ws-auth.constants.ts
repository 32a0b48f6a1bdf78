/** Injection token of the resolved module options (`ResolvedWsAuthOptions`: defaults applied, checked, frozen). */
export const WS_AUTH_OPTIONS = Symbol('WS_AUTH_OPTIONS');

/** Injection token of the options as the app gave them (`forRoot`, or what `forRootAsync` builds). */
export const WS_AUTH_MODULE_OPTIONS = Symbol('WS_AUTH_MODULE_OPTIONS');

/** Class metadata written by `@WsAuth()`: a gateway's credential policy. */
export const WS_AUTH_POLICY_METADATA = 'ws-auth:policy';

/** Class metadata written by `@WsPublic()`: a gateway served without authentication. */
export const WS_AUTH_PUBLIC_METADATA = 'ws-auth:public';

/** Handler or class metadata written by `@WsScopes()`. */
export const WS_AUTH_SCOPES_METADATA = 'ws-auth:scopes';

/** The subprotocol a browser offers beside its token: `new WebSocket(url, ['access_token', jwt])`. */
export const ACCESS_TOKEN_PROTOCOL = 'access_token';

/** Prefix of the single-entry subprotocol form used by Kubernetes and Phoenix 1.8. */
export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.';

export const DEFAULT_REALM = 'ws';
export const DEFAULT_MAX_TOKEN_LENGTH = 8 * 1024;
export const DEFAULT_MAX_PROTOCOLS = 16;
export const DEFAULT_VERIFY_TIMEOUT_MS = 1000;
export const DEFAULT_CLOCK_TOLERANCE_SEC = 5;
export const DEFAULT_TICKET_TTL_SEC = 30;
/** `auth_expiring` is sent this long before `exp` by default. */
export const DEFAULT_EXPIRING_HINT_SEC = 60;

/** Injection token of the `SessionStore` (revocations and session events). */
export const WS_AUTH_SESSION_STORE = Symbol('WS_AUTH_SESSION_STORE');

/** Defaults of first-message authentication (`@WsAuth({ firstMessage: true })`). */
export const DEFAULT_FIRST_MESSAGE_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_PENDING_SOCKETS = 1000;
export const DEFAULT_MAX_PENDING_SOCKETS_PER_ADDRESS = 100;
export const MAX_PENDING_FRAME_BYTES = 16 * 1024;

/**
 * `ws`'s `maxPayload` for guarded gateways that set none: `ws`'s own default
 * (100 MiB) lets one authenticated client make the server buffer that much
 * per frame. A gateway's own `maxPayload` option replaces it.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** The event of in-band authentication, first-message or refresh. */
export const AUTH_EVENT = 'auth';
