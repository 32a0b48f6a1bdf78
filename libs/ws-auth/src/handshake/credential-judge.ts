import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';
import type { WsAuthInfo } from '../interfaces/ws-auth-info.interface.js';
import type { WsVerifiedToken } from '../interfaces/token-verifier.interface.js';
import type { SessionStore } from '../sessions/session-store.interface.js';
import { WS_AUTH_OPTIONS, WS_AUTH_SESSION_STORE } from '../ws-auth.constants.js';
import { WsAuthError } from '../ws-auth.errors.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { withinTimeout } from '../within-timeout.js';
import { isPromise, then, type MaybePromise } from '../maybe-promise.js';

/**
 * The verify and revocation-check steps: one credential from one source,
 * asked of the verifiers (or of the source itself, for a ticket), then of the
 * session store. Used by the handshake pipeline and by in-band `auth`.
 *
 * Synchronous when every step is (see `MaybePromise`), so a handshake that
 * needs nothing outside the process is decided in the tick that received it;
 * only a step that waits (a store, an issuer) starts the clock, and what
 * cannot answer in time is `unavailable`. Not exported from the package: the
 * public entry is `WsAuthenticator.authenticate()`, which always returns a promise.
 */
@Injectable()
export class CredentialJudge {
  private readonly maxTokenLength: number;
  private readonly verifyTimeoutMs: number;

  constructor(
    @Inject(WS_AUTH_OPTIONS) private readonly options: ResolvedWsAuthOptions,
    @Inject(WS_AUTH_SESSION_STORE) private readonly sessions: SessionStore,
  ) {
    this.maxTokenLength = options.maxTokenLength;
    this.verifyTimeoutMs = options.verifyTimeoutMs;
  }

  /** Throws `WsAuthError` (or rejects with it); never returns without a principal. */
  judge(credential: string, request: IncomingMessage, source: WsCredentialSource): MaybePromise<WsAuthInfo> {
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
    return then(verified, this.checkNotEnded);
  }

  /** An arrow made once, not a closure per handshake: `then` hands it the verified token. */
  private readonly checkNotEnded = (verified: WsVerifiedToken): MaybePromise<WsVerifiedToken> => {
    // Our server's clock decides: a socket past its exp would be closed at once anyway.
    if (verified.expiresAt !== undefined && verified.expiresAt <= Date.now()) {
      throw new WsAuthError('invalid_token', 'The credential has expired');
    }
    const revoked = this.sessions.isRevoked(verified);
    return isPromise(revoked) ? revoked.then((answer) => notRevoked(answer, verified)) : notRevoked(revoked, verified);
  };

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
    // A closure only for a verifier that answers later: the common answer at once needs none.
    return isPromise(verified)
      ? verified.then(
          (result) => this.recognised(result, token, request, index),
          (error: unknown) => {
            throw WsAuthError.from(error, 'invalid_token');
          },
        )
      : this.recognised(verified, token, request, index);
  }

  /** A verifier's answer: its token, or the next verifier's turn when it did not recognise the token. */
  private recognised(result: WsVerifiedToken | null, token: string, request: IncomingMessage, index: number): MaybePromise<WsVerifiedToken> {
    if (!result) {
      return this.verifyToken(token, request, index + 1);
    }
    if (typeof result.subject !== 'string' || result.subject.length === 0) {
      throw new WsAuthError('invalid_token', 'The verified token has no subject');
    }
    return result;
  }
}

function notRevoked(revoked: boolean, verified: WsVerifiedToken): WsVerifiedToken {
  if (revoked) {
    throw new WsAuthError('invalid_token', 'The session was revoked');
  }
  return verified;
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
