import type { Cluster } from 'ioredis';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import { withinTimeout } from '../within-timeout.js';
import type { SessionEventLink, SessionEventLinkHandlers } from './session-event-link.interface.js';

/**
 * How long a probe may go published but not received (the node took it and
 * our subscription did not deliver it) before the subscriber is rebuilt. Long
 * enough for ioredis to subscribe again by itself after a node came back.
 */
const REPLACE_AFTER_MS = 1000;

/**
 * Sharded pub/sub on a Redis Cluster (Redis 7): `SPUBLISH` through the
 * command client, `SSUBSCRIBE` through a Cluster of its own with
 * `shardedSubscribers`, which follows the channel's slot to whichever master
 * owns it (after a failover, a resharding, a node that restarted).
 *
 * That subscriber's status says nothing about the one connection that
 * matters (the one to the channel's master), and a `PING` goes to any node.
 * So the check is an echo: a probe `SPUBLISH`ed on a channel of this
 * instance's own, in the same slot as the events channel, so on the same
 * master and the same subscriber connection, behind every event published
 * before it.
 */
export class RedisShardedPubSubLink implements SessionEventLink {
  private readonly subscriber: Cluster;
  private readonly ownsSubscriber: boolean;
  private subscribed = false;
  private subscribing?: Promise<void>;
  private probes = 0;
  private awaited?: { token: string; arrived: () => void };
  private undeliveredSince?: number;

  constructor(
    private readonly client: Cluster,
    subscriber: Cluster | undefined,
    private readonly channel: string,
    /** Must hash to the slot of `channel`: give both one hash tag. */
    private readonly probeChannel: string,
    private readonly timeoutMs: number,
    handlers: SessionEventLinkHandlers,
  ) {
    if (subscriber && !subscriber.options.shardedSubscribers) {
      throw new WsAuthConfigurationError('RedisSessionStore on a Redis Cluster needs a subscriber Cluster created with { shardedSubscribers: true }');
    }
    this.ownsSubscriber = !subscriber;
    // Its commands (SSUBSCRIBE) may wait for the Cluster to be ready: nothing
    // on the handshake path waits on them.
    this.subscriber = subscriber ?? client.duplicate([], { shardedSubscribers: true, enableOfflineQueue: true });
    this.subscriber.on('error', () => undefined); // reconnects by itself; the command client reports outages
    this.subscriber.on('smessage', (from: string, message: string) => {
      if (from === channel) {
        handlers.message(message);
      } else if (from === probeChannel && message === this.awaited?.token) {
        this.awaited.arrived();
        this.awaited = undefined;
      }
    });
    // ioredis subscribes its sharded connections again after any of these
    // (the channels are kept across reconnections); what was published
    // meanwhile is lost.
    this.subscriber.on('-node', () => handlers.lost());
    this.subscriber.on('close', () => handlers.lost());
    this.subscriber.on('ready', () => void this.subscribe());
    void this.subscribe();
  }

  publish(message: string): Promise<unknown> {
    return this.client.spublish(this.channel, message);
  }

  async check(): Promise<boolean> {
    if (this.subscriber.status !== 'ready') {
      return false;
    }
    if (!this.subscribed) {
      void this.subscribe();
      return false;
    }
    const token = String(++this.probes);
    const arrived = new Promise<void>((resolve) => (this.awaited = { token, arrived: resolve }));
    let receivers: number;
    try {
      receivers = Number(await withinTimeout(this.client.spublish(this.probeChannel, token), this.timeoutMs));
    } catch (error) {
      // The channel's master cannot answer: ioredis finds it again when it
      // returns, and there is nothing to repair on this side meanwhile.
      this.undeliveredSince = undefined;
      throw error;
    }
    const delivered = receivers > 0 && (await withinTimeout(arrived, this.timeoutMs).then(() => true, () => false));
    if (delivered) {
      this.undeliveredSince = undefined;
      return true;
    }
    // The master took the probe, and our subscription did not deliver it: a
    // subscriber connection that is gone (or silent) while its Cluster looks
    // ready. Rebuilt, it subscribes every kept channel again.
    const now = Date.now();
    this.undeliveredSince ??= now;
    if (now - this.undeliveredSince >= REPLACE_AFTER_MS) {
      this.undeliveredSince = undefined;
      this.subscriber.disconnect(true);
    }
    return false;
  }

  close(): void {
    if (this.ownsSubscriber) {
      this.subscriber.disconnect();
    }
  }

  /**
   * Once: the subscriber Cluster keeps its channels and subscribes them again
   * by itself. A failed SSUBSCRIBE is sent again on the next 'ready' or check.
   */
  private subscribe(): Promise<void> {
    if (this.subscribed || this.subscriber.status !== 'ready') {
      return Promise.resolve();
    }
    this.subscribing ??= this.subscriber.ssubscribe(this.channel, this.probeChannel).then(
      () => {
        this.subscribed = true;
        this.subscribing = undefined;
      },
      () => void (this.subscribing = undefined),
    );
    return this.subscribing;
  }
}
