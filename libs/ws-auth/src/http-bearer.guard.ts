import type { IncomingMessage } from 'node:http';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WsSources } from './extractors/credential-sources.js';
import { httpRejection } from './http-rejection.js';
import type { WsCredentialSource } from './interfaces/credential-source.interface.js';
import { WsAuthenticator } from './ws-auth.authenticator.js';
import { WsAuthError } from './ws-auth.errors.js';
import { setWsAuth } from './ws-auth.state.js';

/**
 * Authenticates an HTTP request's `Authorization: Bearer` token with the
 * verifiers that judge the sockets, so that what opens a socket and what
 * mints a ticket for one never disagree. Refusals answer as handshakes do
 * (RFC 6750): 401 with a bare challenge when no token was sent,
 * `error="invalid_token"` for a bad one, 400 for two headers, 503 with
 * `Retry-After` when a verifier cannot answer.
 *
 * In the handler, `getWsAuth(request)` (or `@WsAuthInfo()`) is the identity,
 * ready for `TicketService.issue()`.
 *
 * @example
 * ＠Post('ticket')
 * ＠UseGuards(HttpBearerGuard)
 * ＠UseFilters(WsAuthExceptionFilter)
 * ticket(＠WsAuthInfo() auth: WsAuthInfo) { return this.tickets.issue(auth); }
 */
@Injectable()
export class HttpBearerGuard implements CanActivate {
  protected readonly source: WsCredentialSource = WsSources.header();

  constructor(
    protected readonly authenticator: WsAuthenticator,
    protected readonly adapterHost: HttpAdapterHost,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<IncomingMessage>();
    try {
      const token = this.source.extract(request);
      if (token === null) {
        throw new WsAuthError('missing_credential');
      }
      setWsAuth(request, await this.authenticator.authenticate(token, request, this.source));
      return true;
    } catch (error) {
      if (!(error instanceof WsAuthError)) {
        throw error;
      }
      throw httpRejection(error, this.authenticator.realm, this.adapterHost.httpAdapter, http.getResponse());
    }
  }
}
