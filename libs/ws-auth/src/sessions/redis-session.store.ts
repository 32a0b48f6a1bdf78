import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { WsAuthError } from '../ws-auth.errors.js';
import type { RevocationSubject, SessionEvent } from './session-event.js';
import type { SessionStore } from './session-store.interface.js';

export interface RedisSessionStoreOptions {
  /**
   * Commands go through this client. Give it `enableOfflineQueue: false` and a
   * `commandTimeout`: ioredis queues commands while disconnected by default,
   * and a handshake would hang instead of getting 503.
   */
  client: Redis;
  /**
   * Pub/sub needs a connection of its own. Default: `client.duplicate()`. The
   * store subscribes it again after every reconnection and turns its
   * `autoResubscribe` off (ioredis's leaves a rejection unhandled).
   */
  subscriber?: Redis;
  /** Default `ws-auth:`. */
  prefix?: string;
}

interface Envelope {
  origin: string;
  event: SessionEvent;
}

/**
 * Revocations as Redis keys that expire with the tokens they cover (a
 * denylist that cannot grow without bound), and events fanned out over
 * pub/sub to every instance. Several keys are read with separate commands,
 * never MGET, so the store works on Redis Cluster.
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

  constructor(options: RedisSessionStoreOptions) {
    this.client = options.client;
    this.prefix = options.prefix ?? 'ws-auth:';
    this.channel = `${this.prefix}session-events`;
    this.ownsSubscriber = !options.subscriber;
    // This connection carries SUBSCRIBE only, so it may queue while offline.
    this.subscriber = options.subscriber ?? options.client.duplicate({ enableOfflineQueue: true });
    // The store subscribes again by itself on every reconnection: ioredis's
    // own resubscription leaves its promise without a handler, so a connection
    // lost during it is an unhandled rejection, which ends the process.
    this.subscriber.options.autoResubscribe = false;
    this.subscriber.on('error', () => undefined); // reconnects by itself; the command client reports outages
    this.subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
    // Events published while this subscriber was away are lost with pub/sub:
    // after a reconnection, listeners re-check what they hold.
    let connectedOnce = false;
    this.subscriber.on('ready', () => {
      this.subscribeToEvents();
      if (connectedOnce) {
        this.resyncListeners.forEach((listener) => listener());
      }
      connectedOnce = true;
    });
    this.subscribeToEvents();
  }

  async publish(event: SessionEvent): Promise<void> {
    await this.command(async () => {
      if (event.type === 'revoke-session') {
        await this.client.set(this.sessionKey(event.sessionId), '1', 'PXAT', event.expiresAt);
      } else if (event.type === 'revoke-subject') {
        await this.client.set(this.subjectKey(event.subject), String(event.revokedAt), 'PXAT', event.expiresAt);
      }
      await this.client.publish(this.channel, JSON.stringify({ origin: this.origin, event } satisfies Envelope));
    });
    this.deliver(event);
  }

  async isRevoked(credential: RevocationSubject): Promise<boolean> {
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
    if (this.ownsSubscriber) {
      this.subscriber.disconnect();
    }
  }

  /** A failed SUBSCRIBE is sent again on the next 'ready'. */
  private subscribeToEvents(): void {
    this.subscriber.subscribe(this.channel).catch(() => undefined);
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
