import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BadRequestException,
  Body,
  Controller,
  Header,
  HttpCode,
  HttpException,
  HttpStatus,
  Post,
  Req,
  Res,
  UnauthorizedException,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { getWsAuth, HttpBearerGuard, TicketService, WsAuthExceptionFilter, WsSessionService } from 'nestjs-ws-auth';
import { AuthService, type AccessTokenResponse } from './auth.service.js';
import { LoginThrottle } from './login-throttle.js';
import { UsersService } from './users.service.js';

const MAX_FIELD_LENGTH = 256;

export interface TicketResponse {
  ticket: string;
  expires_in: number;
}

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly auth: AuthService,
    private readonly tickets: TicketService,
    private readonly sessions: WsSessionService,
    private readonly throttle: LoginThrottle,
  ) {}

  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: unknown,
    @Req() request: IncomingMessage,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<AccessTokenResponse> {
    const { username, password } = (body ?? {}) as Record<string, unknown>;
    if (!isField(username) || !isField(password)) {
      throw new BadRequestException('Expected {"username": string, "password": string}');
    }
    // The socket's peer: the sample trusts no proxy header.
    const address = request.socket.remoteAddress ?? '';
    const retryAfter = await this.throttle.lockedOutFor(username, address);
    if (retryAfter !== undefined) {
      response.setHeader('Retry-After', String(retryAfter));
      throw new HttpException('Too many failed logins; try again later', HttpStatus.TOO_MANY_REQUESTS);
    }
    const subject = this.users.check(username, password);
    if (!subject) {
      await this.throttle.recordFailure(username, address);
      throw new UnauthorizedException('Wrong username or password');
    }
    return this.auth.issueAccessToken(subject);
  }

  /**
   * Trades the bearer token for a connection ticket: the browser opens
   * `/chat?ticket=` (or `/feed?ticket=`) with it, since it cannot send
   * `Authorization` on a WebSocket. The ticket opens a socket only from the
   * Origin that minted it (when the request has one).
   */
  @Post('ticket')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store') // a ticket is a credential: no cache may keep it
  @UseGuards(HttpBearerGuard)
  @UseFilters(WsAuthExceptionFilter)
  async ticket(@Req() request: IncomingMessage): Promise<TicketResponse> {
    const auth = getWsAuth(request);
    if (!auth) {
      throw new UnauthorizedException(); // unreachable behind HttpBearerGuard; never mint without an identity
    }
    const { ticket, expiresIn } = await this.tickets.issue(auth, { origin: request.headers.origin });
    return { ticket, expires_in: expiresIn };
  }

  /**
   * Ends the login session of the bearer token, on every instance: the token,
   * its unused tickets and its open sockets (closed with 4403) stop working.
   * The revocation is kept until the token would have expired anyway.
   */
  @Post('logout')
  @HttpCode(204)
  @UseGuards(HttpBearerGuard)
  @UseFilters(WsAuthExceptionFilter)
  async logout(@Req() request: IncomingMessage): Promise<void> {
    const auth = getWsAuth(request);
    if (!auth) {
      throw new UnauthorizedException(); // unreachable behind HttpBearerGuard
    }
    const until = auth.expiresAt ?? Date.now() + this.auth.maxTokenLifetimeMs;
    if (auth.sessionId !== undefined) {
      await this.sessions.revokeSession(auth.sessionId, until);
    } else {
      // An issuer's token without `sid`: its login cannot be told apart from
      // the subject's others, so every session issued until now ends.
      const coverMs = Math.max(until - Date.now(), this.auth.maxTokenLifetimeMs);
      await this.sessions.revokeSubject(auth.subject, Math.ceil(coverMs / 1000));
    }
  }
}

function isField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH;
}
