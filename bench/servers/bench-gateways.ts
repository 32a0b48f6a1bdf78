import { createSecretKey } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Injectable, UseGuards, type CanActivate } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
} from '@nestjs/websockets';
import { WsAuth, WsPublic, type WsTokenVerifier } from 'nestjs-ws-auth';
import { benchJwtVerifier } from './bench-jwt-verifier.js';
import { BENCH_JWT_SECRET } from '../support/bench-credentials.js';
import { echoReply } from './echo-reply.js';
import { liveSockets } from './live-sockets.js';
import { ALLOW_ALL_PATH, GUARDED_PATH, OPEN_PATH, TICKETED_PATH, VERIFIER_FLOOR_PATH, VERIFY_CLIENT_PATH } from './server-config.js';

/**
 * The one handler every scenario measures, and the count of open sockets.
 * Each gateway below is this class on a path, guarded or not: Nest finds
 * inherited handlers and lifecycle hooks, so only the decorators differ.
 */
export abstract class EchoGateway implements OnGatewayConnection, OnGatewayDisconnect {
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

/** The echo handler with no guard: what Nest's WsAdapter costs on its own (public where ws-auth serves it). */
@WsPublic()
@WebSocketGateway({ path: OPEN_PATH })
export class OpenEchoGateway extends EchoGateway {}

/** The same handler behind `@WsAuth()`: authenticated at the handshake and, by `WsAuthGuard`, per message. */
@WsAuth({ sources: ['header', 'protocol'] })
@WebSocketGateway({ path: GUARDED_PATH })
export class GuardedEchoGateway extends EchoGateway {}

/** The same handler again, opened with single-use tickets only. */
@WsAuth({ sources: ['ticket'] })
@WebSocketGateway({ path: TICKETED_PATH })
export class TicketedEchoGateway extends EchoGateway {}

/** A guard that allows everything: the control for what any guard costs in Nest. */
@Injectable()
export class AllowAllGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** The same handler behind `AllowAllGuard`, on a public path of the ws-auth app. */
@WsPublic()
@UseGuards(AllowAllGuard)
@WebSocketGateway({ path: ALLOW_ALL_PATH })
export class AllowAllEchoGateway extends EchoGateway {}

/** As ws-auth's JwtVerifier holds it: a KeyObject, HS256 only. */
const floorJwt = new JwtService({ secret: createSecretKey(Buffer.from(BENCH_JWT_SECRET)), verifyOptions: { algorithms: ['HS256'] } });

/**
 * The floor of handshake authentication with @nestjs/jwt: `ws` calls this
 * before the 101 and the token is verified, nothing more (no Origin policy,
 * no revocation, no expiry, no principal kept for handlers).
 */
function verifyBearer({ req }: { req: IncomingMessage }): boolean {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) {
    return false;
  }
  try {
    floorJwt.verify(header.slice('Bearer '.length));
    return true;
  } catch {
    return false;
  }
}

/** The echo handler on Nest's WsAdapter behind `verifyBearer`: the floor scenario's gateway. */
@WebSocketGateway({ path: VERIFY_CLIENT_PATH, verifyClient: verifyBearer })
export class VerifyClientEchoGateway extends EchoGateway {}

/** The same verifier, with the same options, as the ws-auth bench server's. */
const floorVerifier: WsTokenVerifier = benchJwtVerifier();

type VerifyClientCallback = (result: boolean, code?: number) => void;

/**
 * The verification ws-auth does, alone: `JwtVerifier.verify()` of the
 * bearer token before the 101, and nothing else. Answered in the same tick
 * when the verifier answers at once, as ws-auth does.
 */
function verifyWithJwtVerifier({ req }: { req: IncomingMessage }, callback: VerifyClientCallback): void {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) {
    return callback(false, 401);
  }
  try {
    const verified = floorVerifier.verify(header.slice('Bearer '.length), req);
    if (verified instanceof Promise) {
      verified.then((token) => callback(token !== null, 401), () => callback(false, 401));
    } else {
      callback(verified !== null, 401);
    }
  } catch {
    callback(false, 401);
  }
}

/** The echo handler on Nest's WsAdapter behind `verifyWithJwtVerifier`: the verifier floor's gateway. */
@WebSocketGateway({ path: VERIFIER_FLOOR_PATH, verifyClient: verifyWithJwtVerifier })
export class VerifierFloorEchoGateway extends EchoGateway {}
