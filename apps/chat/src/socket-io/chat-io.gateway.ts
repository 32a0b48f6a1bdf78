import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { WsAuth, WsAuthInfo } from 'nestjs-ws-auth';
import type { Namespace, Socket } from 'socket.io';
import { roomOf, textOf } from '../chat/chat-messages.js';
import { CHAT_PATH } from '../chat.constants.js';

/**
 * The chat of CONTRACT.md's "Socket.IO" section: namespace `/chat`, every
 * event answered through its acknowledgement. Rooms are Socket.IO's own, so
 * with `@socket.io/redis-adapter` a `say` reaches the room on every instance.
 */
@WsAuth({ sources: ['ticket', 'header'] })
@WebSocketGateway({ namespace: CHAT_PATH })
export class ChatIoGateway {
  @WebSocketServer()
  private readonly namespace!: Namespace;

  @SubscribeMessage('whoami')
  whoami(@WsAuthInfo() auth: WsAuthInfo) {
    return { sub: auth.subject, source: auth.source };
  }

  @SubscribeMessage('join')
  async join(@ConnectedSocket() client: Socket, @MessageBody() data: unknown) {
    const room = roomOf(data);
    await client.join(room);
    return { room };
  }

  @SubscribeMessage('say')
  say(@ConnectedSocket() client: Socket, @WsAuthInfo() auth: WsAuthInfo, @MessageBody() data: unknown) {
    const room = roomOf(data);
    const text = textOf(data);
    if (!client.rooms.has(room)) {
      // Otherwise anyone could post into any room by guessing its name.
      return { error: 'not_joined' };
    }
    this.namespace.to(room).emit('said', { room, from: auth.subject, text });
    return { ok: true };
  }
}
