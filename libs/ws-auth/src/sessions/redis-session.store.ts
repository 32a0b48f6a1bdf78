import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { WsAuthError } from '../ws-auth.errors.js';
import { withinTimeout } from '../within-timeout.js';
import { KnownRevocations, type Revocation } from './known-revocations.js';
import type { RevocationSubject, SessionEvent } from './session-event.js';
import type { SessionStore } from './session-store.interface.js';

export interface RedisSessionStoreOptions {
  /**
   * Commands go through this client. Give it `enableOfflineQueue: false`, a
   * `commandTimeout` and a `socketTimeout` (`createRedisClient()` does):
   * ioredis queues commands while disconnected by default, and a handshake
   * would hang instead of getting 503.
   */
  client: Redis;
  /**
   * Pub/sub needs a connection of its own. Default: `client.duplicate()`. The
   * store subscribes it again after every reconnection and turns its
   * `autoResubscribe` off (ioredis's leaves a rejection unhandled). It also
   * PINGs it several times a second, and reconnects it when a PING goes
   * unanswered: a link that silently lost messages must be replaced.
   */
  subscriber?: Redis;
  /** Default `ws-auth:`. */
  prefix?: string;
}

/**
 * How often the subscriber connection is asked to answer a PING. A link that
 * stays open while nothing crosses it (a partition) loses pub/sub messages
 * without any error: only an unanswered PING shows it, and the first answered
 * one after it starts a resync. Both bounds together set how soon after the
 * link heals the missed logouts take effect: well within two seconds.
 */
const PROBE_INTERVAL_MS = 250;
const PROBE_TIMEOUT_MS = 750;

/** Sets a subject revocation unless Redis holds a later one (which covers every token this one does). */
const SET_LATER_REVOCATION = `
local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
end
return 1`;

interface Envelope {
  origin: string;
  event: SessionEvent;
}

/**
 * Revocations as Redis keys that expire with the tokens they cover (a
 * denylist that cannot grow without bound), and events fanned out over
 * pub/sub to every instance. Several keys are read with separate commands,
 * never MGET, so the store works on Redis Cluster.
 *
 * A logout is never lost to a Redis fault:
 * - pub/sub drops what is published while a subscriber is cut off, so after
 *   any sign of that (a reconnection, an unanswered PING) the registry is told
 *   to re-check its sockets (`onResync`), and retries what Redis cannot answer yet;
 * - each instance keeps every revocation it heard until its tokens expire,
 *   answers from that copy first, and writes it back (and announces it again)
 *   when it finds a Redis that lost its data: an epoch key, written by the
 *   first instance to see it missing, tells one Redis dataset from the next.
 *   A Redis restarted empty while every instance restarted too has nothing
 *   to restore from: persist it (AOF) for that case.
 */
export class RedisSessionStore implements SessionStore {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly channel: string;
  /** This instance's events come back over pub/sub: they were delivered locally already. */
  private readonly origin = randomUUID();
  private readonly listeners: Array<(event: SessionEvent) => void> = [];
  private readonly resyncListeners: Array<() => void> = [];
  private readonly ownsSubscriber: boolean;
  /** Every revocation this instance published or heard, until its tokens expire. */
  private readonly known = new KnownRevocations();
  private readonly epochKey: string;
  /** The epoch of the Redis dataset this instance last wrote its revocations to. */
  private epoch?: string;
  /** Set when the dataset must be compared with `epoch` again (a new connection may lead to a new Redis). */
  private epochDue = true;
  /** An unanswered PING, or a subscriber away: events may have been missed since. */
  private missed = false;
  private subscribed = false;
  private probing = false;
  private readonly probeTimer: NodeJS.Timeout;

  constructor(options: RedisSessionStoreOptions) {
    this.client = options.client;
    this.prefix = options.prefix ?? 'ws-auth:';
    this.channel = `${this.prefix}session-events`;
    this.epochKey = `${this.prefix}epoch`;
    this.ownsSubscriber = !options.subscriber;
    // This connection carries SUBSCRIBE and PING only, so it may queue while
    // offline. A connection the probe found dead is replaced soon: a logout
    // missed meanwhile waits on it.
    this.subscriber =
      options.subscriber ?? options.client.duplicate({ enableOfflineQueue: true, retryStrategy: (attempt: number) => Math.min(attempt * 50, 250) });
    // The store subscribes again by itself on every reconnection: ioredis's
    // own resubscription leaves its promise without a handler, so a connection
    // lost during it is an unhandled rejection, which ends the process.
    this.subscriber.options.autoResubscribe = false;
    this.subscriber.on('error', () => undefined); // reconnects by itself; the command client reports outages
    this.subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
    // Events published while this subscriber was away are lost with pub/sub:
    // once it is subscribed again and answers, the probe starts a resync.
    this.subscriber.on('ready', () => {
      this.epochDue = true;
      void this.subscribeToEvents();
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.missed = true;
    });
    this.client.on('ready', () => {
      this.epochDue = true;
      void this.probe();
    });
    void this.subscribeToEvents();
    this.probeTimer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  async publish(event: SessionEvent): Promise<void> {
    await this.command(() => this.write(event));
    this.known.add(event);
    this.deliver(event);
  }

  async isRevoked(credential: RevocationSubject): Promise<boolean> {
    // What this instance heard outlives a Redis that lost it.
    if (this.known.isRevoked(credential)) {
      return true;
    }
    const [session, subject] = await this.command(() =>
      Promise.all([
        credential.sessionId === undefined ? null : this.client.get(this.sessionKey(credential.sessionId)),
        this.client.get(this.subjectKey(credential.subject)),
      ]),
    );
    return session !== null || (subject !== null && (credential.issuedAt ?? 0) <= Number(subject));
  }

  subscribe(listener: (event: SessionEvent) => void, onResync?: () => void): void {
    this.listeners.push(listener);
    if (onResync) {
      this.resyncListeners.push(onResync);
    }
  }

  /** Closes the subscriber connection this store opened; the command client is yours to close. */
  async close(): Promise<void> {
    clearInterval(this.probeTimer);
    if (this.ownsSubscriber) {
      this.subscriber.disconnect();
    }
  }

  /** Stores a revocation (none for a disconnect) and tells every other instance. */
  private async write(event: SessionEvent): Promise<void> {
    if (event.type === 'revoke-session') {
      await this.client.set(this.sessionKey(event.sessionId), '1', 'PXAT', event.expiresAt);
    } else if (event.type === 'revoke-subject') {
      await this.client.eval(SET_LATER_REVOCATION, 1, this.subjectKey(event.subject), String(event.revokedAt), String(event.expiresAt));
    }
    await this.client.publish(this.channel, JSON.stringify({ origin: this.origin, event } satisfies Envelope));
  }

  /** A failed SUBSCRIBE is sent again on the next 'ready'. Resolves with whether it took. */
  private subscribeToEvents(): Promise<boolean> {
    return this.subscriber.subscribe(this.channel).then(
      () => (this.subscribed = true),
      () => false,
    );
  }

  /**
   * One at a time, every `PROBE_INTERVAL_MS`: a PING over the subscriber
   * connection (its answer arrives after every message published before it),
   * then, when due, the dataset's epoch. The first probe answered while
   * subscribed after a miss starts a resync. An unanswered PING replaces the
   * connection: what it swallowed would otherwise answer later commands.
   */
  private async probe(): Promise<void> {
    if (this.probing) {
      return;
    }
    this.probing = true;
    try {
      if (this.subscriber.status !== 'ready') {
        this.missed = true;
        return;
      }
      try {
        await withinTimeout(this.subscriber.ping(), PROBE_TIMEOUT_MS);
      } catch {
        this.missed = true;
        this.subscriber.disconnect(true);
        return;
      }
      if (!this.subscribed) {
        this.missed = true;
        void this.subscribeToEvents();
        return;
      }
      if (this.epochDue) {
        await this.restoreIfNewDataset();
      }
      if (this.missed) {
        this.missed = false;
        this.resync();
      }
    } catch {
      this.missed = true; // the command connection failed the epoch check: try again next time
    } finally {
      this.probing = false;
    }
  }

  /**
   * Compares the dataset's epoch with the one this instance wrote to. Any
   * other (none: an empty Redis; another: one that was filled by another
   * instance after a loss) gets every revocation this instance knows, stored
   * again and announced again, so that instances which never heard of them
   * refuse their tokens and close their sockets. Then the epoch is settled:
   * the first instance to find none creates it, the rest adopt it.
   */
  private async restoreIfNewDataset(): Promise<void> {
    const found = await withinTimeout(this.client.get(this.epochKey), PROBE_TIMEOUT_MS);
    if (found !== null && found === this.epoch) {
      this.epochDue = false;
      return;
    }
    const known: Revocation[] = this.known.list();
    for (const event of known) {
      await withinTimeout(this.write(event), PROBE_TIMEOUT_MS);
    }
    let epoch = found;
    if (epoch === null) {
      const created = randomUUID();
      epoch = (await this.client.set(this.epochKey, created, 'NX')) === 'OK' ? created : await this.client.get(this.epochKey);
    }
    if (epoch !== null) {
      this.epoch = epoch;
      this.epochDue = false;
    }
  }

  private resync(): void {
    this.resyncListeners.forEach((listener) => listener());
  }

  private receive(channel: string, message: string): void {
    if (channel !== this.channel) {
      return;
    }
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
    } catch {
      return; // not ours: another writer on the channel
    }
    if (envelope.origin !== this.origin && typeof envelope.event?.type === 'string') {
      this.known.add(envelope.event);
      this.deliver(envelope.event);
    }
  }

  private deliver(event: SessionEvent): void {
    for (const listener of this.listeners) {
      listener(event);
    }
  }

  private async command<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new WsAuthError('unavailable', 'The session store cannot answer', { cause: error });
    }
  }

  // Hash tags are not needed: each key is read on its own.
  private sessionKey(sessionId: string): string {
    return `${this.prefix}revoked:sid:${sessionId}`;
  }

  private subjectKey(subject: string): string {
    return `${this.prefix}revoked:sub:${subject}`;
  }
}
