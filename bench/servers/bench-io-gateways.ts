import { WebSocketGateway } from '@nestjs/websockets';
import { WsAuth, WsPublic } from 'nestjs-ws-auth';
import { EchoGateway } from './bench-gateways.js';
import { GUARDED_PATH, OPEN_PATH } from './server-config.js';

/**
 * The echo gateways over Socket.IO: the same handler, each on a namespace
 * (named like the `ws` paths) behind the server's one Engine.IO endpoint.
 * The handler's `{ event, data }` answer reaches the client as an `echo`
 * event, as it does a `ws` client as a frame.
 */
@WsPublic()
@WebSocketGateway({ namespace: OPEN_PATH })
export class OpenEchoIoGateway extends EchoGateway {}

/** Authenticated at the namespace CONNECT (`auth.token`, always offered over Socket.IO, or the header) and by `WsAuthGuard` per message. */
@WsAuth({ sources: ['header'] })
@WebSocketGateway({ namespace: GUARDED_PATH })
export class GuardedEchoIoGateway extends EchoGateway {}
