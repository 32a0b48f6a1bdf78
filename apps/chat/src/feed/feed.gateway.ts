import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { WsAuth, WsAuthInfo } from 'nestjs-ws-auth';
import { MAX_FRAME_BYTES } from '../chat.constants.js';

/**
 * Accepts a handshake without a credential too: such a socket is pending
 * until its first frame, `{"event":"auth","data":{"token"}}`, authenticates it.
 */
@WsAuth({ sources: ['ticket', 'header', 'protocol'], firstMessage: true })
@WebSocketGateway({ path: '/feed', maxPayload: MAX_FRAME_BYTES })
export class FeedGateway {
  @SubscribeMessage('whoami')
  whoami(@WsAuthInfo() auth: WsAuthInfo) {
    return { event: 'whoami', data: { sub: auth.subject, source: auth.source } };
  }
}
