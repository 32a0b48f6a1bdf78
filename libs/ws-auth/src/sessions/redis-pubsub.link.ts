import type { Redis } from 'ioredis';
import { withinTimeout } from '../within-timeout.js';
import type { SessionEventLink, SessionEventLinkHandlers } from './session-event-link.interface.js';

/**
 * Classic pub/sub on one Redis: `PUBLISH` through the command client,
 * `SUBSCRIBE` on a connection of its own. The check is a `PING` over that
 * connection, whose answer arrives after every message published before it.
 */
export class RedisPubSubLink implements SessionEventLink {
  private readonly subscriber: Redis;
  private readonly ownsSubscriber: boolean;
  private subscribed = false;

  constructor(
    private readonly client: Redis,
    subscriber: Redis | undefined,
    private readonly channel: string,
    private readonly timeoutMs: number,
    handlers: SessionEventLinkHandlers,
  ) {
    this.ownsSubscriber = !subscriber;
    // This connection carries SUBSCRIBE and PING only, so it may queue while
    // offline. A connection the check found dead is replaced soon: a logout
    // missed meanwhile waits on it.
    this.subscriber = subscriber ?? client.duplicate({ enableOfflineQueue: true, retryStrategy: (attempt: number) => Math.min(attempt * 50, 250) });
    // The link subscribes again by itself on every reconnection: ioredis's
    // own resubscription leaves its promise without a handler, so a connection
    // lost during it is an unhandled rejection, which ends the process.
    this.subscriber.options.autoResubscribe = false;
    this.subscriber.on('error', () => undefined); // reconnects by itself; the command client reports outages
    this.subscriber.on('message', (from: string, message: string) => from === channel && handlers.message(message));
    this.subscriber.on('ready', () => void this.subscribe());
    // Events published while this subscriber is away are lost with pub/sub.
    this.subscriber.on('close', () => {
      this.subscribed = false;
      handlers.lost();
    });
    void this.subscribe();
  }

  publish(message: string): Promise<unknown> {
    return this.client.publish(this.channel, message);
  }

  async check(): Promise<boolean> {
    if (this.subscriber.status !== 'ready') {
      return false;
    }
    try {
      await withinTimeout(this.subscriber.ping(), this.timeoutMs);
    } catch {
      // What the connection swallowed would otherwise answer later commands.
      this.subscriber.disconnect(true);
      return false;
    }
    if (!this.subscribed) {
      void this.subscribe();
      return false;
    }
    return true;
  }

  close(): void {
    if (this.ownsSubscriber) {
      this.subscriber.disconnect();
    }
  }

  /** A failed SUBSCRIBE is sent again on the next 'ready' or check. */
  private subscribe(): Promise<void> {
    return this.subscriber.subscribe(this.channel).then(
      () => void (this.subscribed = true),
      () => undefined,
    );
  }
}
