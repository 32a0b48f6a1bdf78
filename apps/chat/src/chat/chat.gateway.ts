import { ConnectedSocket, MessageBody, OnGatewayDisconnect, SubscribeMessage, WebSocketGateway, WsException } from '@nestjs/websockets';
import { WsAuth, WsAuthInfo } from 'nestjs-ws-auth';
import type { WebSocket } from 'ws';
import { roomOf, textOf } from './chat-messages.js';
import { CHAT_PATH, MAX_FRAME_BYTES } from '../chat.constants.js';
import { RoomsService } from './rooms.service.js';

@WsAuth({ sources: ['ticket', 'header', 'protocol'] })
@WebSocketGateway({ path: CHAT_PATH, maxPayload: MAX_FRAME_BYTES })
export class ChatGateway implements OnGatewayDisconnect {
  constructor(private readonly rooms: RoomsService) {}

  handleDisconnect(client: WebSocket): void {
    this.rooms.leaveAll(client);
  }

  @SubscribeMessage('whoami')
  whoami(@WsAuthInfo() auth: WsAuthInfo) {
    return { event: 'whoami', data: { sub: auth.subject, source: auth.source } };
  }

  @SubscribeMessage('join')
  join(@ConnectedSocket() client: WebSocket, @MessageBody() data: unknown) {
    const room = roomOf(data);
    this.rooms.join(room, client);
    return { event: 'joined', data: { room } };
  }

  @SubscribeMessage('say')
  say(@ConnectedSocket() client: WebSocket, @WsAuthInfo() auth: WsAuthInfo, @MessageBody() data: unknown): void {
    const room = roomOf(data);
    const text = textOf(data);
    if (!this.rooms.isMember(room, client)) {
      // Otherwise anyone could post into any room by guessing its name.
      throw new WsException({ status: 'error', message: 'Join the room before saying anything in it' });
    }
    this.rooms.broadcast(room, 'said', { room, from: auth.subject, text });
  }
}
