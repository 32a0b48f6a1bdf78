import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { CredentialJudge } from './handshake/credential-judge.js';
import type { WsCredentialSource } from './interfaces/credential-source.interface.js';
import type { WsAuthInfo } from './interfaces/ws-auth-info.interface.js';
import { WS_AUTH_OPTIONS } from './ws-auth.constants.js';
import type { ResolvedWsAuthOptions } from './ws-auth-options.resolver.js';

/**
 * Judges one credential with the module's verifiers and session store, as a
 * handshake would: for HTTP endpoints (`HttpBearerGuard`) and anything else
 * that must agree with the sockets. Handshakes themselves are decided by the
 * adapter, through the handshake pipeline.
 */
@Injectable()
export class WsAuthenticator {
  /** The `realm` of `WWW-Authenticate`. */
  readonly realm: string;

  constructor(
    @Inject(WS_AUTH_OPTIONS) options: ResolvedWsAuthOptions,
    private readonly judge: CredentialJudge,
  ) {
    this.realm = options.realm;
  }

  /**
   * Verifies one credential from a source, and checks its session is not
   * revoked. Rejects with `WsAuthError`: `unavailable` when a verifier or
   * store cannot answer within `verifyTimeoutMs`.
   */
  async authenticate(credential: string, request: IncomingMessage, source: WsCredentialSource): Promise<WsAuthInfo> {
    return this.judge.judge(credential, request, source);
  }
}
