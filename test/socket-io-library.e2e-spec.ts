import type { INestApplication } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import WebSocket from 'ws';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { getWsAuth, JwtVerifier, WsAuth, WsAuthConfigurationError, WsAuthModule } from 'nestjs-ws-auth';
import { WsAuthIoAdapter } from 'nestjs-ws-auth/socket.io';
import type { Socket } from 'socket.io';
import { io } from 'socket.io-client';
import { connected, refused } from './support/io-client.js';
import { ownClaims, signHs } from './support/tokens.js';

const SECRET = 'library-test-secret-that-is-long-enough!';
const MAX_UNAUTHENTICATED = 2;
const reachedHandleConnection: Array<string | undefined> = [];

@WebSocketGateway({ namespace: '/secure' })
class SecureIoGateway implements OnGatewayConnection {
  handleConnection(client: Socket): void {
    reachedHandleConnection.push(getWsAuth(client)?.subject);
  }

  @SubscribeMessage('ping')
  ping() {
    return 'pong';
  }
}

@Module({
  imports: [
    WsAuthModule.forRoot({
      verifiers: [new JwtVerifier({ secret: SECRET, algorithms: ['HS256'] })],
      maxPendingSockets: MAX_UNAUTHENTICATED,
    }),
  ],
  providers: [SecureIoGateway],
})
class LibraryIoModule {}

/** Opens a bare Engine.IO session over WebSocket that sends no CONNECT: an unauthenticated session. */
function bareEngineSession(base: string): Promise<{ socket: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    socket.once('message', () => resolve({ socket }));
    socket.once('unexpected-response', (_, response) => resolve({ socket, status: response.statusCode }));
    socket.once('error', () => undefined);
  });
}

/** WsAuthIoAdapter in an app of its own: the handshake reaches handleConnection with its principal, and the cap on unauthenticated Engine.IO sessions. */
describe('WsAuthIoAdapter', () => {
  let app: INestApplication;
  let base: string;
  const opened: { close(): void }[] = [];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [LibraryIoModule] }).compile();
    app = moduleRef.createNestApplication();
    app.useWebSocketAdapter(new WsAuthIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterEach(() => opened.splice(0).forEach((socket) => socket.close()));
  afterAll(() => app.close());

  it('gives handleConnection the authenticated socket, and never a refused one', async () => {
    reachedHandleConnection.length = 0;
    const secure = io(`${base}/secure`, { transports: ['websocket'], auth: { token: signHs(ownClaims(), SECRET) }, reconnection: false, forceNew: true });
    opened.push(secure);
    await connected(secure);
    expect(await secure.emitWithAck('ping')).toBe('pong');
    const bad = io(`${base}/secure`, { transports: ['websocket'], auth: { token: 'nope' }, reconnection: false, forceNew: true });
    opened.push(bad);
    expect((await refused(bad)).data).toEqual({ code: 'invalid_token' });
    expect(reachedHandleConnection).toEqual(['maggie']);
  });

  it('caps unauthenticated Engine.IO sessions: past maxPendingSockets the handshake is refused, and a slot frees when one closes', async () => {
    const held: WebSocket[] = [];
    for (let i = 0; i < MAX_UNAUTHENTICATED; i += 1) {
      const session = await bareEngineSession(base);
      expect(session.status).toBeUndefined();
      held.push(session.socket);
      opened.push(session.socket);
    }
    const refusedSession = await bareEngineSession(base);
    opened.push(refusedSession.socket);
    expect([403, 400]).toContain(refusedSession.status);
    const closed = new Promise((resolve) => held[0].once('close', resolve));
    held[0].close();
    await closed;
    // The server sees the close in its own time: the next handshake is admitted once it has.
    let next = await bareEngineSession(base);
    for (let attempt = 0; next.status !== undefined && attempt < 50; attempt += 1) {
      next.socket.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
      next = await bareEngineSession(base);
    }
    opened.push(next.socket);
    expect(next.status).toBeUndefined();
  });
});

@WsAuth()
@WebSocketGateway({ namespace: '/guarded' })
class ExplicitlyGuardedIoGateway {}

describe('the bootstrap check on Socket.IO', () => {
  it('stops an app whose @WsAuth() gateway is served by plain IoAdapter, naming WsAuthIoAdapter', async () => {
    @Module({
      imports: [WsAuthModule.forRoot({ verifiers: [new JwtVerifier({ secret: SECRET, algorithms: ['HS256'] })] })],
      providers: [ExplicitlyGuardedIoGateway],
    })
    class UnguardedAdapterModule {}
    const moduleRef = await Test.createTestingModule({ imports: [UnguardedAdapterModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new IoAdapter(app));
    const started = app.init();
    await expect(started).rejects.toThrow(WsAuthConfigurationError);
    await expect(started).rejects.toThrow(/WsAuthIoAdapter/);
    await app.close().catch(() => undefined);
  });
});
