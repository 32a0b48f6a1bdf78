import type { Cluster, Redis } from 'ioredis';
import { WsAuthError } from '../ws-auth.errors.js';
import type { TicketRecord, TicketStore } from './ticket-store.interface.js';

export interface RedisTicketStoreOptions {
  /** Prefix of every key the store writes. Default `ws-auth:`. */
  keyPrefix?: string;
}

const DEFAULT_KEY_PREFIX = 'ws-auth:';

/**
 * Tickets in Redis (>= 6.2), shared by every instance of an app: a ticket
 * minted on one is redeemed on any other, once.
 *
 * - `take` is `GETDEL`: one command, so Redis itself serializes concurrent
 *   redemptions and exactly one gets the record.
 * - One key per ticket and only single-key commands, so it works unchanged
 *   on Redis Cluster.
 * - Expiry is Redis's own (`SET ... PX`): nothing to sweep.
 * - Any failure of the client is `WsAuthError('unavailable')`: the
 *   handshake gets 503, never a socket.
 *
 * Give it a client that fails fast instead of queueing while Redis is away
 * (`createRedisClient()` makes one): ioredis queues commands while
 * disconnected by default, and a handshake would hang on them.
 */
export class RedisTicketStore implements TicketStore {
  private readonly keyPrefix: string;

  constructor(
    private readonly redis: Redis | Cluster,
    options: RedisTicketStoreOptions = {},
  ) {
    this.keyPrefix = `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}ticket:`;
  }

  async put(hash: string, record: TicketRecord, ttlMs: number): Promise<void> {
    try {
      await this.redis.set(this.key(hash), JSON.stringify(record), 'PX', Math.max(1, Math.ceil(ttlMs)));
    } catch (error) {
      throw unavailable(error);
    }
  }

  async take(hash: string): Promise<TicketRecord | null> {
    let stored: string | null;
    try {
      stored = await this.redis.getdel(this.key(hash));
    } catch (error) {
      throw unavailable(error);
    }
    return stored === null ? null : parseRecord(stored);
  }

  private key(hash: string): string {
    return this.keyPrefix + hash;
  }
}

function unavailable(cause: unknown): WsAuthError {
  return new WsAuthError('unavailable', 'The ticket store cannot answer', { cause });
}

/** A value that is not one of our records (another writer under our prefix) is no ticket. */
function parseRecord(stored: string): TicketRecord | null {
  try {
    const record = JSON.parse(stored) as Partial<TicketRecord> | null;
    return record && typeof record.subject === 'string' && typeof record.notAfter === 'number'
      ? (record as TicketRecord)
      : null;
  } catch {
    return null;
  }
}
