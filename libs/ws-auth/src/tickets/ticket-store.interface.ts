import type { WsVerifiedToken } from '../interfaces/token-verifier.interface.js';

/**
 * What a ticket stands for, as kept by a `TicketStore` under the ticket's
 * hash. A shared store (Redis) keeps it as JSON, so the principal must
 * survive `JSON.stringify` when several instances share one store.
 */
export interface TicketRecord<TPrincipal = unknown> extends Readonly<WsVerifiedToken<TPrincipal>> {
  /** `expiresAt` is the `exp` of the token that minted the ticket: the socket lives until then, not the ticket's expiry. */
  readonly scopes: readonly string[];
  /** Epoch ms after which the ticket itself is void, checked even if a store expires entries late. */
  readonly notAfter: number;
  /** The `Origin` of the minting request: only a handshake from that Origin may redeem it. */
  readonly origin?: string;
  /** The gateway path the ticket opens, normalized as Nest normalizes gateway paths. */
  readonly path?: string;
}

/**
 * Where tickets live between minting and redemption. Keys are SHA-256 hashes
 * of tickets; a store never sees a usable ticket.
 *
 * Implementations must:
 * - make `take` atomic: of any number of concurrent `take`s of one hash, on
 *   one instance or many, exactly one gets the record;
 * - forget a record after `ttlMs`;
 * - throw `WsAuthError('unavailable')` when they cannot answer (the
 *   handshake then gets 503, never a socket).
 */
export interface TicketStore {
  put(hash: string, record: TicketRecord, ttlMs: number): Promise<void>;
  /**
   * The record, removed in the same step; `null` when unknown, used or
   * expired. A store in the process may answer at once (no promise): the
   * handshake is then decided in the tick that received it.
   */
  take(hash: string): TicketRecord | null | Promise<TicketRecord | null>;
}
