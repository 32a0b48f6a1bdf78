import type { WsSourceSpec } from './extractors/credential-sources.js';
import type { WsAuthModuleOptions, WsTicketOptions } from './interfaces/ws-auth-options.interface.js';
import type { SessionStore } from './sessions/session-store.interface.js';
import {
  DEFAULT_EXPIRING_HINT_SEC,
  DEFAULT_FIRST_MESSAGE_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_SOCKETS,
  DEFAULT_MAX_PENDING_SOCKETS_PER_ADDRESS,
  DEFAULT_MAX_PROTOCOLS,
  DEFAULT_MAX_TOKEN_LENGTH,
  DEFAULT_REALM,
  DEFAULT_TICKET_TTL_SEC,
  DEFAULT_VERIFY_TIMEOUT_MS,
} from './ws-auth.constants.js';
import { WsAuthConfigurationError } from './ws-auth-configuration.error.js';

/**
 * The module options with every default applied and every value checked,
 * frozen: what each provider of the module receives (`WS_AUTH_OPTIONS`).
 * A bad value stops the bootstrap here, once, rather than in whichever
 * constructor reads it first.
 */
export interface ResolvedWsAuthOptions
  extends Readonly<Omit<WsAuthModuleOptions, 'sources' | 'protocols' | 'sessions' | 'tickets' | 'allowedOrigins'>> {
  readonly allowedOrigins?: readonly string[];
  readonly realm: string;
  readonly sources: readonly WsSourceSpec[];
  readonly protocols: readonly string[];
  readonly maxTokenLength: number;
  readonly maxProtocols: number;
  readonly verifyTimeoutMs: number;
  readonly maxPendingSockets: number;
  readonly maxPendingSocketsPerAddress: number;
  readonly firstMessageTimeoutMs: number;
  readonly sessions: { readonly store?: SessionStore; readonly expiringHintSec: number };
  readonly tickets: Readonly<WsTicketOptions> & { readonly ttlSec: number };
  /** Whether a verifier may read the upgrade request at an in-band refresh, so sockets keep a copy of it (`readsRequest`). */
  readonly keepsUpgradeRequest: boolean;
}

const DEFAULT_SOURCES: readonly WsSourceSpec[] = Object.freeze(['header', 'protocol']);
/** Module `tickets` options, even `{}`, make `ticket` a default source. */
const DEFAULT_SOURCES_WITH_TICKETS: readonly WsSourceSpec[] = Object.freeze(['ticket', 'header', 'protocol']);

export function resolveWsAuthOptions(options: WsAuthModuleOptions): ResolvedWsAuthOptions {
  if (!options?.verifiers?.length) {
    throw new WsAuthConfigurationError('WsAuthModule needs at least one verifier');
  }
  const realm = options.realm ?? DEFAULT_REALM;
  // It is quoted in WWW-Authenticate (RFC 9110 §11.2): nothing that would end the quoted string.
  if (!/^[\x20-\x7e]*$/.test(realm) || /["\\]/.test(realm)) {
    throw new WsAuthConfigurationError('realm must be printable ASCII without quotes or backslashes');
  }
  for (const origin of options.allowedOrigins ?? []) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw new WsAuthConfigurationError(`allowed origin "${origin}" is not an origin (scheme://host[:port], no path)`);
    }
  }
  checkSocketLimit(options.maxSocketsPerSubject, 'maxSocketsPerSubject');
  const ttlSec = options.tickets?.ttlSec ?? DEFAULT_TICKET_TTL_SEC;
  if (!Number.isInteger(ttlSec) || ttlSec < 1) {
    throw new WsAuthConfigurationError('tickets.ttlSec must be a whole number of seconds, at least 1');
  }
  return Object.freeze({
    ...options,
    verifiers: Object.freeze([...options.verifiers]) as WsAuthModuleOptions['verifiers'],
    allowedOrigins: options.allowedOrigins && Object.freeze([...options.allowedOrigins]),
    realm,
    sources: options.sources ? Object.freeze([...options.sources]) : options.tickets ? DEFAULT_SOURCES_WITH_TICKETS : DEFAULT_SOURCES,
    protocols: Object.freeze([...(options.protocols ?? [])]),
    maxTokenLength: options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH,
    maxProtocols: options.maxProtocols ?? DEFAULT_MAX_PROTOCOLS,
    verifyTimeoutMs: options.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS,
    maxPendingSockets: options.maxPendingSockets ?? DEFAULT_MAX_PENDING_SOCKETS,
    maxPendingSocketsPerAddress: options.maxPendingSocketsPerAddress ?? DEFAULT_MAX_PENDING_SOCKETS_PER_ADDRESS,
    firstMessageTimeoutMs: options.firstMessageTimeoutMs ?? DEFAULT_FIRST_MESSAGE_TIMEOUT_MS,
    sessions: Object.freeze({ ...options.sessions, expiringHintSec: options.sessions?.expiringHintSec ?? DEFAULT_EXPIRING_HINT_SEC }),
    tickets: Object.freeze({ ...options.tickets, ttlSec }),
    keepsUpgradeRequest: options.verifiers.some((verifier) => verifier.readsRequest !== false),
  }) as ResolvedWsAuthOptions;
}

/** A socket limit is a whole number, at least 1 (a gateway that takes no socket is a gateway to remove). */
export function checkSocketLimit(limit: number | undefined, where: string): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new WsAuthConfigurationError(`${where} must be a whole number, at least 1`);
  }
}
