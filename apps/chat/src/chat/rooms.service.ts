import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { REDIS_CLIENT } from '../chat.constants.js';
import type { ChatRedis } from '../redis/redis.module.js';
import { subscriberConnection } from '../redis/subscriber-connection.js';

const CHANNEL = 'chat:rooms';
/**
 * A member whose socket already holds this much unsent data (it does not
 * read) misses what is said until it catches up: otherwise every frame said
 * in its rooms would wait in this process's memory for it.
 */
const MAX_BUFFERED_BYTES = 1024 * 1024;

interface RoomFrame {
  origin: string;
  room: string;
  frame: string;
}

/**
 * Room membership of this instance's sockets. With Redis, what is said in a
 * room also goes over pub/sub to the members on every other instance; while
 * Redis is away, a room still works within this instance.
 *
 * On a Redis Cluster this is the cluster's classic pub/sub: every node
 * forwards a PUBLISH to every other, so the instances need not agree on a
 * node, and the chat keeps crossing instances while any node is up. Sharded
 * pub/sub (what the Socket.IO side uses) would tie this one channel to the
 * shard that owns its slot, and a room to that one master's health.
 */
@Injectable()
export class RoomsService implements OnModuleDestroy {
  private readonly logger = new Logger('Rooms');
  private readonly rooms = new Map<string, Set<WebSocket>>();
  private readonly origin = randomUUID();
  private readonly subscriber?: ChatRedis;
  private publishFailing = false;

  constructor(@Inject(REDIS_CLIENT) private readonly redis: ChatRedis | null) {
    if (redis) {
      // Subscribes again by itself on every reconnection (see subscriberConnection).
      const subscriber = subscriberConnection(redis);
      const subscribe = () => subscriber.subscribe(CHANNEL).catch(() => undefined);
      subscriber.on('error', () => undefined); // the command client reports outages
      subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
      subscriber.on('ready', subscribe);
      void subscribe();
      this.subscriber = subscriber;
    }
  }

  onModuleDestroy(): void {
    this.subscriber?.disconnect();
  }

  join(room: string, client: WebSocket): void {
    let members = this.rooms.get(room);
    if (!members) {
      members = new Set();
      this.rooms.set(room, members);
    }
    members.add(client);
  }

  isMember(room: string, client: WebSocket): boolean {
    return this.rooms.get(room)?.has(client) ?? false;
  }

  leaveAll(client: WebSocket): void {
    for (const [room, members] of this.rooms) {
      if (members.delete(client) && members.size === 0) {
        this.rooms.delete(room);
      }
    }
  }

  /** Sends one event to every open socket in the room, on every instance. */
  broadcast(room: string, event: string, data: unknown): void {
    const frame = JSON.stringify({ event, data });
    this.deliver(room, frame);
    if (this.redis) {
      const message: RoomFrame = { origin: this.origin, room, frame };
      this.redis.publish(CHANNEL, JSON.stringify(message)).then(
        () => (this.publishFailing = false),
        () => {
          if (!this.publishFailing) {
            this.publishFailing = true;
            this.logger.warn('Redis is unreachable: rooms reach this instance only until it returns');
          }
        },
      );
    }
  }

  private receive(channel: string, message: string): void {
    if (channel !== CHANNEL) {
      return;
    }
    try {
      const { origin, room, frame } = JSON.parse(message) as RoomFrame;
      if (origin !== this.origin && typeof room === 'string' && typeof frame === 'string') {
        this.deliver(room, frame);
      }
    } catch {
      // not one of ours
    }
  }

  private deliver(room: string, frame: string): void {
    for (const member of this.rooms.get(room) ?? []) {
      if (member.readyState === member.OPEN && member.bufferedAmount <= MAX_BUFFERED_BYTES) {
        member.send(frame);
      }
    }
  }
}
