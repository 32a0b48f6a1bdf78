import { Injectable, UseGuards, type CanActivate } from '@nestjs/common';
import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
} from '@nestjs/websockets';
import { WsAuth, WsAuthGuard } from 'nestjs-ws-auth';
import { echoReply } from './echo-reply.js';
import { liveSockets } from './live-sockets.js';
import { ALLOW_ALL_PATH, GUARDED_PATH, OPEN_PATH, TICKETED_PATH } from './server-config.js';

/** The echo handler with no guard: what Nest's WsAdapter costs on its own. */
@WebSocketGateway({ path: OPEN_PATH })
export class OpenEchoGateway implements OnGatewayConnection, OnGatewayDisconnect {
  handleConnection(): void {
    liveSockets.opened();
  }

  handleDisconnect(): void {
    liveSockets.closed();
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown) {
    return echoReply(data);
  }
}

/** The same handler behind `WsAuthGuard`: authenticated at the handshake and per message. */
@WsAuth({ sources: ['header', 'protocol'] })
@UseGuards(WsAuthGuard)
@WebSocketGateway({ path: GUARDED_PATH })
export class GuardedEchoGateway implements OnGatewayConnection, OnGatewayDisconnect {
  handleConnection(): void {
    liveSockets.opened();
  }

  handleDisconnect(): void {
    liveSockets.closed();
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown) {
    return echoReply(data);
  }
}

/** The same handler again, opened with single-use tickets only. */
@WsAuth({ sources: ['ticket'] })
@UseGuards(WsAuthGuard)
@WebSocketGateway({ path: TICKETED_PATH })
export class TicketedEchoGateway implements OnGatewayConnection, OnGatewayDisconnect {
  handleConnection(): void {
    liveSockets.opened();
  }

  handleDisconnect(): void {
    liveSockets.closed();
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown) {
    return echoReply(data);
  }
}

/** A guard that allows everything: the control for what any guard costs in Nest. */
@Injectable()
export class AllowAllGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** The same handler behind `AllowAllGuard`, on a public path of the ws-auth app. */
@UseGuards(AllowAllGuard)
@WebSocketGateway({ path: ALLOW_ALL_PATH })
export class AllowAllEchoGateway implements OnGatewayConnection, OnGatewayDisconnect {
  handleConnection(): void {
    liveSockets.opened();
  }

  handleDisconnect(): void {
    liveSockets.closed();
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown) {
    return echoReply(data);
  }
}
