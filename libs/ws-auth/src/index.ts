export { WsAuthModule } from './ws-auth.module.js';
export { WsAuthAdapter } from './ws-auth.adapter.js';
export { WsAuthGuard } from './ws-auth.guard.js';
export { WsAuthenticator } from './ws-auth.authenticator.js';
export { HttpBearerGuard } from './http-bearer.guard.js';
export { WsAuthExceptionFilter } from './ws-auth-exception.filter.js';
export { WsAuthError, type WsAuthErrorCode } from './ws-auth.errors.js';
export { WsAuthConfigurationError } from './ws-auth-configuration.error.js';
export { getWsAuth } from './ws-auth.state.js';
export { WsCloseCode } from './ws-auth.close-codes.js';
export type { WsAuthAuditEvent, WsAuthCloseReason } from './audit/ws-auth-audit-event.interface.js';
export { WsSessionService } from './sessions/ws-session.service.js';
export { MemorySessionStore } from './sessions/memory-session.store.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './sessions/redis-session.store.js';
export type { SessionStore } from './sessions/session-store.interface.js';
export type { SessionEvent, RevocationSubject } from './sessions/session-event.js';
export { WS_AUTH_OPTIONS, ACCESS_TOKEN_PROTOCOL, BEARER_PROTOCOL_PREFIX } from './ws-auth.constants.js';

export { WsAuth } from './decorators/ws-auth.decorator.js';
export { WsPublic } from './decorators/ws-public.decorator.js';
export { WsScopes } from './decorators/ws-scopes.decorator.js';
export { WsUser } from './decorators/ws-user.decorator.js';
export { WsAuthInfo } from './decorators/ws-auth-info.decorator.js';

export { WsSources, type WsSourceSpec } from './extractors/credential-sources.js';
export { fromAuthorizationHeader } from './extractors/authorization-header.extractor.js';
export { fromSubprotocol } from './extractors/subprotocol.extractor.js';
export { fromCookie } from './extractors/cookie.extractor.js';
export { fromQueryParameter } from './extractors/query-parameter.extractor.js';

export { JwtVerifier, type JwtVerifierOptions, type HmacAlgorithm, type AsymmetricAlgorithm } from './verifiers/jwt.verifier.js';
export type { JwtModuleVerifierOptions } from './verifiers/jwt-module-options.js';
export { PassportVerifier, type PassportVerifierOptions } from './verifiers/passport.verifier.js';
export { IssuerVerifier, type IssuerVerifierOptions } from './verifiers/issuer.verifier.js';
export type { IssuerPrincipal } from './verifiers/issuer-principal.js';
export type { IssuerAlgorithm } from './verifiers/access-token-header.js';

export type { WsTokenVerifier, WsVerifiedToken } from './interfaces/token-verifier.interface.js';
export type { WsCredentialSource, WsTokenExtractor, WsBuiltInSourceName } from './interfaces/credential-source.interface.js';
export type {
  WsAuthModuleOptions,
  WsAuthModuleAsyncOptions,
  WsAuthOptionsFactory,
  WsAuthPolicy,
  WsTicketOptions,
  WsAuthMetricsOptions,
  WsAuthMetricsRegistry,
} from './interfaces/ws-auth-options.interface.js';
export type { ResolvedWsAuthOptions } from './ws-auth-options.resolver.js';
export type { JwtClaims } from './verifiers/claims.js';

export { TicketService, type IssuedTicket, type TicketBindings } from './tickets/ticket.service.js';
export type { TicketStore, TicketRecord } from './tickets/ticket-store.interface.js';
export { MemoryTicketStore, type MemoryTicketStoreOptions } from './tickets/memory-ticket.store.js';
export { RedisTicketStore, type RedisTicketStoreOptions } from './tickets/redis-ticket.store.js';
export { createRedisClient, WS_AUTH_REDIS_OPTIONS } from './tickets/redis-client.js';
export { createRedisClusterClient } from './tickets/redis-cluster-client.js';
