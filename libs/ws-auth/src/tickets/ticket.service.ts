import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { requestUrl } from '../extractors/request-url.js';
import { normalizePath } from '../gateways/normalize-path.js';
import type { WsVerifiedToken } from '../interfaces/token-verifier.interface.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { WS_AUTH_OPTIONS } from '../ws-auth.constants.js';
import { WsAuthError } from '../ws-auth.errors.js';
import { withinTimeout } from '../within-timeout.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import { MemoryTicketStore } from './memory-ticket.store.js';
import type { TicketRecord, TicketStore } from './ticket-store.interface.js';

/** What a ticket is bound to besides its identity; both are optional. */
export interface TicketBindings {
  /**
   * The `Origin` of the request that mints the ticket: the ticket then opens
   * a socket only from that Origin (and not from a client without one).
   */
  origin?: string;
  /** The gateway path the ticket may open (`/chat`). */
  path?: string;
}

export interface IssuedTicket {
  /** Opaque, URL-safe, single-use: send it as `?ticket=` on the WebSocket URL. */
  ticket: string;
  /** Whole seconds until it expires: the smaller of the TTL and the minting token's remaining life. */
  expiresIn: number;
}

/** 256 random bits; base64url has no padding and nothing a URL must escape. */
const TICKET_BYTES = 32;
const TICKET_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * Mints and redeems connection tickets (OWASP ASVS 5.0 4.4.4): a client that
 * holds an access token trades it over authenticated HTTP for an opaque,
 * seconds-long, single-use ticket, and opens the socket with
 * `?ticket=` instead of putting the token in the URL (a browser cannot send
 * `Authorization` on a WebSocket).
 *
 * Only the ticket's SHA-256 hash is stored, so a store dump or a key listing
 * yields no usable ticket, and a lookup's timing says nothing about one.
 * Redemption runs in the handshake, through the `ticket` credential source.
 */
@Injectable()
export class TicketService {
  private readonly logger = new Logger('WsAuth');
  private readonly store: TicketStore;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;

  constructor(@Inject(WS_AUTH_OPTIONS) options: ResolvedWsAuthOptions) {
    this.ttlMs = options.tickets.ttlSec * 1000;
    this.store = options.tickets.store ?? new MemoryTicketStore();
    this.timeoutMs = options.verifyTimeoutMs;
  }

  /**
   * Mints a ticket for an authenticated identity (`WsAuthInfo`, or what a
   * verifier returned). It expires after the TTL and never after the
   * identity's `expiresAt`; a token with less than a second to live cannot
   * mint (`invalid_token`). Throws `WsAuthError('unavailable')` when the
   * store cannot answer.
   */
  async issue(auth: WsVerifiedToken, bindings: TicketBindings = {}): Promise<IssuedTicket> {
    const now = Date.now();
    const remainingMs = auth.expiresAt === undefined ? Infinity : auth.expiresAt - now;
    if (remainingMs < 1000) {
      throw new WsAuthError('invalid_token', 'The token expires too soon to mint a ticket');
    }
    const lifetimeMs = Math.min(this.ttlMs, remainingMs);
    const ticket = randomBytes(TICKET_BYTES).toString('base64url');
    const record: TicketRecord = {
      principal: auth.principal,
      subject: auth.subject,
      sessionId: auth.sessionId,
      scopes: [...(auth.scopes ?? [])],
      expiresAt: auth.expiresAt,
      issuedAt: auth.issuedAt,
      notAfter: now + lifetimeMs,
      origin: bindings.origin,
      path: bindings.path === undefined ? undefined : normalizePath(bindings.path),
    };
    try {
      await withinTimeout(this.store.put(hashTicket(ticket), record, lifetimeMs), this.timeoutMs);
    } catch (error) {
      const refusal = asUnavailable(error);
      const cause = refusal.cause instanceof Error ? ` (${refusal.cause.name})` : '';
      this.logger.warn(`Ticket not issued: the ticket store cannot answer${cause}`);
      throw refusal;
    }
    // Rounded down: a client never believes a ticket lives longer than it does.
    return { ticket, expiresIn: Math.floor(lifetimeMs / 1000) };
  }

  /**
   * Redeems a ticket, once: what the `ticket` source calls in the handshake.
   * The ticket is consumed before its bindings are checked, so a ticket tried
   * from the wrong Origin or path is burnt, not left for another try. The
   * result carries the minting token's expiry, which the socket lives by.
   * At once with a store that answers at once (memory), later with Redis.
   */
  redeem(ticket: string, request: IncomingMessage): MaybePromise<WsVerifiedToken> {
    if (!TICKET_FORMAT.test(ticket)) {
      throw new WsAuthError('invalid_token', 'Malformed ticket'); // no store round trip for what we never minted
    }
    let taken: MaybePromise<TicketRecord | null>;
    try {
      taken = this.store.take(hashTicket(ticket));
    } catch (error) {
      throw asUnavailable(error);
    }
    return isPromise(taken)
      ? taken.then(
          (record) => honour(record, request),
          (error: unknown) => {
            throw asUnavailable(error);
          },
        )
      : honour(taken, request);
  }
}

/** What a taken ticket stands for, if it is still good for this request. */
function honour(record: TicketRecord | null, request: IncomingMessage): WsVerifiedToken {
  if (!record || record.notAfter <= Date.now()) {
    throw new WsAuthError('invalid_token', 'Unknown, used or expired ticket');
  }
  if (record.origin !== undefined && request.headers.origin !== record.origin) {
    throw new WsAuthError('invalid_token', 'The ticket was minted for another origin');
  }
  if (record.path !== undefined && pathOf(request) !== record.path) {
    throw new WsAuthError('invalid_token', 'The ticket was minted for another path');
  }
  return {
    principal: record.principal,
    subject: record.subject,
    sessionId: record.sessionId,
    scopes: record.scopes,
    expiresAt: record.expiresAt,
    issuedAt: record.issuedAt,
  };
}

/** The store key of a ticket. */
function hashTicket(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url');
}

function asUnavailable(error: unknown): WsAuthError {
  return WsAuthError.from(error, 'unavailable', 'The ticket store cannot answer');
}

function pathOf(request: IncomingMessage): string {
  // Parsed once per request, with the `?ticket=` extractor's reading of it.
  return requestUrl(request).pathname;
}
