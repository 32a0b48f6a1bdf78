import { Injectable } from '@nestjs/common';
import type { WebSocket } from 'ws';

/** Room membership of this instance's sockets. */
@Injectable()
export class RoomsService {
  private readonly rooms = new Map<string, Set<WebSocket>>();

  join(room: string, client: WebSocket): void {
    let members = this.rooms.get(room);
    if (!members) {
      members = new Set();
      this.rooms.set(room, members);
    }
    members.add(client);
  }

  leaveAll(client: WebSocket): void {
    for (const [room, members] of this.rooms) {
      if (members.delete(client) && members.size === 0) {
        this.rooms.delete(room);
      }
    }
  }

  /** Sends one event to every open socket in the room. */
  broadcast(room: string, event: string, data: unknown): void {
    const frame = JSON.stringify({ event, data });
    for (const member of this.rooms.get(room) ?? []) {
      if (member.readyState === member.OPEN) {
        member.send(frame);
      }
    }
  }
}
