/**
 * How `RedisSessionStore`'s events travel between instances: classic pub/sub
 * on one Redis (`RedisPubSubLink`), sharded pub/sub on a Redis Cluster
 * (`RedisShardedPubSubLink`). Pub/sub delivers at most once, so a link also
 * says when messages may have been lost, and proves, on demand, that
 * everything published before it asked has arrived.
 */
export interface SessionEventLink {
  /** Sends a message to every instance's link (this one's included). */
  publish(message: string): Promise<unknown>;
  /**
   * Whether the link is subscribed and has received everything published
   * before the call. `false` (or a rejection) when it cannot tell: the link
   * repairs what it can (subscribes again, replaces a connection that lost
   * messages) and is asked again later.
   */
  check(): Promise<boolean>;
  /** Closes the subscriber connection if the link opened it. */
  close(): void;
}

/** What a link reports to its store. */
export interface SessionEventLinkHandlers {
  /** A message on the events channel, from any instance. */
  message(message: string): void;
  /** Messages may have been lost (a connection closed): resync once `check()` succeeds again. */
  lost(): void;
}
