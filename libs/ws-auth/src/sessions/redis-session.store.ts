import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import { WsAuthError } from '../ws-auth.errors.js';
import { withinTimeout } from '../within-timeout.js';
import { KnownRevocations, type Revocation } from './known-revocations.js';
import { RedisPubSubLink } from './redis-pubsub.link.js';
import { RedisShardedPubSubLink } from './redis-sharded-pubsub.link.js';
import type { SessionEventLink } from './session-event-link.interface.js';
import type { RevocationSubject, SessionEvent } from './session-event.js';
import type { SessionStore } from './session-store.interface.js';

export interface RedisSessionStoreOptions {
  /**
   * Commands go through this client. Give it `enableOfflineQueue: false`, a
   * `commandTimeout` and a `socketTimeout` (`createRedisClient()` does):
   * ioredis queues commands while disconnected by default, and a handshake
   * would hang instead of getting 503. An ioredis `Cluster`
   * (`createRedisClusterClient()`) puts the store on a Redis Cluster (Redis 7).
   */
  client: Redis | Cluster;
  /**
   * Pub/sub needs a connection of its own. Default: `client.duplicate()`. The
   * store subscribes it again after every reconnection and turns its
   * `autoResubscribe` off (ioredis's leaves a rejection unhandled). It also
   * PINGs it several times a second, and reconnects it when a PING goes
   * unanswered: a link that silently lost messages must be replaced.
   *
   * On a Cluster: a `Cluster` with `shardedSubscribers: true` (the default
   * duplicate has it). Instead of a PING, the store sends itself a probe over
   * sharded pub/sub several times a second, and rebuilds the subscriber when
   * its probes stop arriving.
   */
  subscriber?: Redis | Cluster;
  /**
   * Default `ws-auth:`. Every key and channel of the store starts with it in
   * braces (`{ws-auth:}`): a Redis Cluster hash tag, see `RedisSessionStore`.
   */
  prefix?: string;
}

/**
 * How often the pub/sub link is checked (a PING over the subscriber
 * connection on one Redis, a probe echoed over sharded pub/sub on a Cluster),
 * and how long one check may take. A link that stays open while nothing
 * crosses it (a partition) loses pub/sub messages without any error: only a
 * failed check shows it, and the first one that succeeds after it starts a
 * resync. Both bounds together set how soon after the link heals the missed
 * logouts take effect: well within two seconds.
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
 * pub/sub to every instance.
 *
 * Every key and channel starts with the prefix in braces
 * (`{ws-auth:}revoked:sid:...`, `{ws-auth:}epoch`, `{ws-auth:}session-events`).
 * On a Redis Cluster that is a hash tag, so they all live on one master, together:
 * - the epoch key vouches for the revocation keys of its dataset, so it must
 *   be lost exactly when they are: with keys spread over masters, one master
 *   restarting empty would lose revocations while the epoch, elsewhere,
 *   stayed, and nobody would write them back;
 * - events go over sharded pub/sub (`SPUBLISH`), which stays on the shard
 *   that owns the channel instead of being broadcast to every node, and
 *   the subscriber's connection is to that same master: when it goes, the
 *   link says so, and the epoch is checked when it returns.
 * Revocations are few (the logouts of one token lifetime) and read with one
 * small command each, so one master carries them; tickets, the busy keys,
 * spread over every master.
 *
 * A logout is never lost to a Redis fault:
 * - pub/sub drops what is published while a subscriber is cut off, so after
 *   any sign of that (a reconnection, a failed check of the link) the registry is told
 *   to re-check its sockets (`onResync`), and retries what Redis cannot answer yet;
 * - each instance keeps every revocation it heard until its tokens expire,
 *   answers from that copy first, and writes it back (and announces it again)
 *   when it finds a Redis that lost its data: an epoch key, written by the
 *   first instance to see it missing, tells one Redis dataset from the next.
 *   A Redis restarted empty while every instance restarted too has nothing
 *   to restore from: persist it (AOF) for that case.
 */
export class RedisSessionStore implements SessionStore {
  private readonly client: Redis | Cluster;
  private readonly link: SessionEventLink;
  /** `{prefix}`: the start of every key and channel, and their hash tag. */
  private readonly tag: string;
  /** This instance's events come back over pub/sub: they were delivered locally already. */
  private readonly origin = randomUUID();
  private readonly listeners: Array<(event: SessionEvent) => void> = [];
  private readonly resyncListeners: Array<() => void> = [];
  /** Every revocation this instance published or heard, until its tokens expire. */
  private readonly known = new KnownRevocations();
  private readonly epochKey: string;
  /** The epoch of the Redis dataset this instance last wrote its revocations to. */
  private epoch?: string;
  /** Set when the dataset must be compared with `epoch` again (a new connection may lead to a new Redis). */
  private epochDue = true;
  /** A failed check of the link, or a subscriber away: events may have been missed since. */
  private missed = false;
  private probing = false;
  private readonly probeTimer: NodeJS.Timeout;

  constructor(options: RedisSessionStoreOptions) {
    const prefix = options.prefix ?? 'ws-auth:';
    if (/[{}]/.test(prefix)) {
      throw new WsAuthConfigurationError('the RedisSessionStore prefix must not contain braces: the store puts it in braces itself, as a Redis Cluster hash tag');
    }
    if (options.subscriber && options.subscriber.isCluster !== options.client.isCluster) {
      throw new WsAuthConfigurationError('the RedisSessionStore subscriber must be of the kind of its client: both a Redis, or both a Cluster');
    }
    this.client = options.client;
    this.tag = `{${prefix}}`;
    this.epochKey = `${this.tag}epoch`;
    const channel = `${this.tag}session-events`;
    const handlers = {
      message: (message: string) => this.receive(message),
      lost: () => {
        this.missed = true;
        // A new connection may lead to a new dataset (a node that restarted empty).
        this.epochDue = true;
      },
    };
    this.link = isCluster(options.client)
      ? new RedisShardedPubSubLink(
          options.client,
          options.subscriber as Cluster | undefined,
          channel,
          `${this.tag}probe:${this.origin}`,
          PROBE_TIMEOUT_MS,
          handlers,
        )
      : new RedisPubSubLink(options.client, options.subscriber as Redis | undefined, channel, PROBE_TIMEOUT_MS, handlers);
    this.client.on('ready', () => {
      this.epochDue = true;
      void this.probe();
    });
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
    this.link.close();
  }

  /** Stores a revocation (none for a disconnect) and tells every other instance. */
  private async write(event: SessionEvent): Promise<void> {
    if (event.type === 'revoke-session') {
      await this.client.set(this.sessionKey(event.sessionId), '1', 'PXAT', event.expiresAt);
    } else if (event.type === 'revoke-subject') {
      await this.client.eval(SET_LATER_REVOCATION, 1, this.subjectKey(event.subject), String(event.revokedAt), String(event.expiresAt));
    }
    await this.link.publish(JSON.stringify({ origin: this.origin, event } satisfies Envelope));
  }

  /**
   * One at a time, every `PROBE_INTERVAL_MS`: a check of the link (that it
   * is subscribed and has received everything published before the check),
   * then, when due, the dataset's epoch. The first check that succeeds after
   * a miss starts a resync.
   */
  private async probe(): Promise<void> {
    if (this.probing) {
      return;
    }
    this.probing = true;
    try {
      if (!(await this.link.check())) {
        this.missed = true;
        this.epochDue = true;
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
      // The link's check or the epoch check failed on Redis: try again next time.
      this.missed = true;
      this.epochDue = true;
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

  private receive(message: string): void {
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

  private sessionKey(sessionId: string): string {
    return `${this.tag}revoked:sid:${sessionId}`;
  }

  private subjectKey(subject: string): string {
    return `${this.tag}revoked:sub:${subject}`;
  }
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return client.isCluster;
}
