import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { httpRejection } from './http-rejection.js';
import { WsAuthenticator } from './ws-auth.authenticator.js';
import { WsAuthError } from './ws-auth.errors.js';

/**
 * Answers a `WsAuthError` thrown by an HTTP handler (say
 * `TicketService.issue()` while the ticket store is down) as a handshake
 * would be answered: 401/400/403 with RFC 6750 `WWW-Authenticate`, 503 with
 * `Retry-After`; the body is generic. For HTTP handlers only.
 */
@Catch(WsAuthError)
export class WsAuthExceptionFilter implements ExceptionFilter<WsAuthError> {
  constructor(
    private readonly authenticator: WsAuthenticator,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  catch(error: WsAuthError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    const exception = httpRejection(error, this.authenticator.realm, httpAdapter, response);
    httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}
