import type { INestApplicationContext } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { WsAuthIoAdapter } from 'nestjs-ws-auth/socket.io';
import type { Server, ServerOptions } from 'socket.io';

/**
 * `WsAuthIoAdapter`, with rooms shared across instances through
 * `@socket.io/redis-adapter` when the app has Redis: Socket.IO's own engine
 * for that, over a publisher and a subscriber connection of its own.
 */
export class ChatIoAdapter extends WsAuthIoAdapter {
  private readonly subscribers: Redis[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly redis: Redis | null,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, options);
    if (this.redis) {
      // Its subscriptions wait for a Redis that is down at the start (the
      // shared client refuses commands instead, so handshakes fail fast).
      const subscriber = this.redis.duplicate({ enableOfflineQueue: true });
      this.subscribers.push(subscriber);
      server.adapter(createAdapter(this.redis, subscriber));
    }
    return server;
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    for (const subscriber of this.subscribers.splice(0)) {
      subscriber.disconnect();
    }
  }
}
