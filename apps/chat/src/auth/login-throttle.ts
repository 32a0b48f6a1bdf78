import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { REDIS_CLIENT } from '../chat.constants.js';
import type { ChatRedis } from '../redis/redis.module.js';

/** CONTRACT.md: 10 failed logins of one username from one address within 60 s. */
const MAX_FAILURES = 10;
const WINDOW_SEC = 60;

/**
 * Counts failed logins per username and client address, and refuses that pair
 * with 429 once it has failed too often, until its window passes, even with
 * the right password (a guesser must not learn that the last guess was right).
 * Only failures count, which a request-rate throttler such as
 * `@nestjs/throttler` cannot express; rate-limiter-flexible's consecutive-
 * failures recipe is this. With Redis the counts are shared by every
 * instance; while Redis is away each instance counts on its own (the
 * insurance limiter) and login keeps working. A Redis Cluster serves as one
 * Redis would: each count is one key, changed by one single-key script.
 */
@Injectable()
export class LoginThrottle {
  private readonly failures: RateLimiterAbstract;

  constructor(@Inject(REDIS_CLIENT) redis: ChatRedis | null) {
    const options = { keyPrefix: 'chat:login-failures', points: MAX_FAILURES, duration: WINDOW_SEC };
    const memory = new RateLimiterMemory(options);
    this.failures = redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;
  }

  /** Seconds until the pair may try again, or `undefined` when it may now. */
  async lockedOutFor(username: string, address: string): Promise<number | undefined> {
    const record = await this.failures.get(keyOf(username, address));
    return record && record.consumedPoints >= MAX_FAILURES ? Math.max(1, Math.ceil(record.msBeforeNext / 1000)) : undefined;
  }

  async recordFailure(username: string, address: string): Promise<void> {
    // consume() rejects once the points are spent: the count is what matters here.
    await this.failures.consume(keyOf(username, address)).catch(() => undefined);
  }
}

function keyOf(username: string, address: string): string {
  return JSON.stringify([address, username]);
}
