import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { resolveSource } from './extractors/credential-sources.js';
import { parseOfferedProtocols, type OfferedProtocols } from './extractors/subprotocol.extractor.js';
import { GatewayPolicyExplorer, type GuardedGateway } from './gateway-policy.explorer.js';
import type { WsCredentialSource } from './interfaces/credential-source.interface.js';
import type { ResolvedWsAuthOptions } from './ws-auth-options.resolver.js';
import type { WsAuthInfo } from './interfaces/ws-auth-info.interface.js';
import type { WsVerifiedToken } from './interfaces/token-verifier.interface.js';
import { WS_AUTH_OPTIONS, WS_AUTH_SESSION_STORE } from './ws-auth.constants.js';
import { WsAuthError } from './ws-auth.errors.js';
import { WsAuthConfigurationError } from './ws-auth-configuration.error.js';
import { normalizePath } from './normalize-path.js';
import type { SessionStore } from './sessions/session-store.interface.js';
import { withinTimeout } from './within-timeout.js';
import { isPromise, then, type MaybePromise } from './maybe-promise.js';
import { ticketSource } from './tickets/ticket.source.js';
import { TicketService } from './tickets/ticket.service.js';

/** A guarded gateway's policy with its sources resolved, built once per server. */
export interface ResolvedPolicy {
  readonly gateway: GuardedGateway;
  readonly sources: readonly WsCredentialSource[];
  readonly protocols: readonly string[];
}

/**
 * Decides a handshake: origin, then the one credential among the gateway's
 * sources, then the verifiers. Everything here runs before the `101`.
 */
@Injectable()
export class WsAuthenticator implements OnApplicationBootstrap {
  readonly realm: string;
  private readonly allowedOrigins?: ReadonlySet<string>;
  private readonly maxTokenLength: number;
  private readonly maxProtocols: number;
  private readonly verifyTimeoutMs: number;
  /** The (port, path) pairs `WsAuthAdapter` serves, authenticated or public. */
  private readonly served = new Set<string>();

  constructor(
    @Inject(WS_AUTH_OPTIONS) private readonly options: ResolvedWsAuthOptions,
    @Inject(WS_AUTH_SESSION_STORE) private readonly sessions: SessionStore,
    private readonly explorer: GatewayPolicyExplorer,
    private readonly tickets: TicketService,
  ) {
    this.realm = options.realm;
    this.allowedOrigins = options.allowedOrigins && new Set(options.allowedOrigins);
    this.maxTokenLength = options.maxTokenLength;
    this.maxProtocols = options.maxProtocols;
    this.verifyTimeoutMs = options.verifyTimeoutMs;
  }

  /** The resolved policy of a server, or `undefined` for a `@WsPublic()` one. Called by the adapter. */
  policyFor(port: number, path: string | undefined): ResolvedPolicy | undefined {
    this.served.add(`${port} ${normalizePath(path)}`);
    const gateway = this.explorer.find(port, path);
    if (!gateway) {
      return undefined;
    }
    const protocols = gateway.policy.protocols ?? this.options.protocols;
    const specs = gateway.policy.sources ?? this.options.sources;
    const sources = specs.map((spec) =>
      // The ticket source needs the TicketService, which only DI can give.
      spec === 'ticket' ? ticketSource(this.tickets) : resolveSource(spec, protocols),
    );
    return { gateway, protocols, sources };
  }

  /**
   * Fails the bootstrap when a gateway marked protected is served by another
   * adapter: never open by mistake. Reading the gateways here also runs the
   * explorer's checks in an app whose gateways were never served.
   */
  onApplicationBootstrap(): void {
    const unserved = this.explorer
      .guardedGateways()
      .filter((gateway) => gateway.explicit && !this.served.has(`${gateway.port} ${gateway.path}`));
    if (unserved.length > 0) {
      const names = unserved.map((gateway) => gateway.name).join(', ');
      throw new WsAuthConfigurationError(
        `${names} ${unserved.length > 1 ? 'are' : 'is'} authenticated with @WsAuth() or WsAuthGuard, but the app's ` +
          'WebSocket adapter is not WsAuthAdapter, so handshakes would not be authenticated. ' +
          'Call app.useWebSocketAdapter(new WsAuthAdapter(app)) before app.listen().',
      );
    }
  }

  /**
   * Reads the offered subprotocols, synchronously: the adapter calls it before
   * `ws` parses them, because `ws` refuses a repeated protocol (the marker
   * offered twice) with a bare 400 that carries no `WWW-Authenticate`.
   */
  inspectProtocols(request: IncomingMessage, policy: ResolvedPolicy): OfferedProtocols {
    const offered = parseOfferedProtocols(request, policy.protocols);
    if (offered.offered.length > this.maxProtocols) {
      throw new WsAuthError('invalid_request', 'Too many subprotocols');
    }
    return offered;
  }

  /**
   * Judges an upgrade request: throws `WsAuthError` (or rejects with it);
   * never returns without a principal. Synchronous when every step is (see
   * `MaybePromise`).
   */
  authenticateHandshake(request: IncomingMessage, policy: ResolvedPolicy): MaybePromise<WsAuthInfo> {
    const originAllowed = this.checkOrigin(request.headers.origin);

    let found: { source: WsCredentialSource; credential: string } | undefined;
    for (const source of policy.sources) {
      if (source.ambient && !originAllowed) {
        // An ambient cookie proves nothing without an allowed Origin; it is not
        // even read, so a cookie another site tossed in cannot fail the handshake.
        continue;
      }
      const credential = source.extract(request);
      if (credential === null || credential === undefined) {
        continue;
      }
      if (found) {
        throw new WsAuthError('invalid_request', 'More than one credential was sent');
      }
      found = { source, credential };
    }
    if (!found) {
      throw new WsAuthError('missing_credential');
    }
    return this.authenticate(found.credential, request, found.source);
  }

  /**
   * Verifies one credential from a source: the handshake uses it, and so do
   * in-band `auth` messages. Bounded in time: what cannot answer is
   * `unavailable`. Only a step that waits (a store, an issuer) starts the clock;
   * one that answers at once cannot hang.
   */
  authenticate(credential: string, request: IncomingMessage, source: WsCredentialSource): MaybePromise<WsAuthInfo> {
    if (credential.length === 0 || credential.length > this.maxTokenLength) {
      throw new WsAuthError('invalid_token', 'The credential is empty or too long');
    }
    const verified = this.verifyAndCheckRevocation(credential, request, source);
    if (isPromise(verified)) {
      return withinTimeout(verified, this.verifyTimeoutMs, 'Verification timed out').then((token) => authInfo(token, source));
    }
    return authInfo(verified, source);
  }

  private verifyAndCheckRevocation(
    credential: string,
    request: IncomingMessage,
    source: WsCredentialSource,
  ): MaybePromise<WsVerifiedToken> {
    const verified = source.authenticate ? source.authenticate(credential, request) : this.verifyToken(credential, request, 0);
    return then(verified, (token) => this.checkNotEnded(token));
  }

  private checkNotEnded(verified: WsVerifiedToken): MaybePromise<WsVerifiedToken> {
    // Our server's clock decides: a socket past its exp would be closed at once anyway.
    if (verified.expiresAt !== undefined && verified.expiresAt <= Date.now()) {
      throw new WsAuthError('invalid_token', 'The credential has expired');
    }
    return then(this.sessions.isRevoked(verified), (revoked) => {
      if (revoked) {
        throw new WsAuthError('invalid_token', 'The session was revoked');
      }
      return verified;
    });
  }

  /** Asks the verifiers in order, from `index`, until one recognises the token. */
  private verifyToken(token: string, request: IncomingMessage, index: number): MaybePromise<WsVerifiedToken> {
    const verifier = this.options.verifiers[index];
    if (!verifier) {
      throw new WsAuthError('invalid_token', 'No verifier recognised the token');
    }
    let verified: MaybePromise<WsVerifiedToken | null>;
    try {
      verified = verifier.verify(token, request);
    } catch (error) {
      throw WsAuthError.from(error, 'invalid_token');
    }
    const recognised = (result: WsVerifiedToken | null) => {
      if (!result) {
        return this.verifyToken(token, request, index + 1);
      }
      if (typeof result.subject !== 'string' || result.subject.length === 0) {
        throw new WsAuthError('invalid_token', 'The verified token has no subject');
      }
      return result;
    };
    return isPromise(verified)
      ? verified.then(recognised, (error: unknown) => {
          throw WsAuthError.from(error, 'invalid_token');
        })
      : recognised(verified);
  }

  /** `true` for an allowed Origin, `false` for none; throws for a foreign one. */
  private checkOrigin(origin: string | undefined): boolean {
    if (origin === undefined) {
      return false; // a non-browser client: judged by its credential alone
    }
    if (!this.allowedOrigins) {
      return false; // any Origin may connect, but none makes an ambient credential trustworthy
    }
    if (!this.allowedOrigins.has(origin)) {
      throw new WsAuthError('origin_not_allowed');
    }
    return true;
  }
}

function authInfo(verified: WsVerifiedToken, source: WsCredentialSource): WsAuthInfo {
  return {
    principal: verified.principal,
    subject: verified.subject,
    sessionId: verified.sessionId,
    scopes: verified.scopes ?? [],
    expiresAt: verified.expiresAt,
    issuedAt: verified.issuedAt,
    source: source.name,
  };
}
