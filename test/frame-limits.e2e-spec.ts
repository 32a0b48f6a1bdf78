import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { JwtVerifier, WsAuth } from 'nestjs-ws-auth';
import WebSocket from 'ws';
import { startChatApp, TEST_SECRET, type RunningChatApp } from './support/chat-app.js';
import { startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, closed, connect, exchange } from './support/ws-client.js';
import { login, SentCredentials, sleep } from './security/catalogue.js';

const KiB = 1024;
/** A frame of exactly `bytes` bytes that no handler answers. */
const frameOf = (bytes: number) => {
  const shell = JSON.stringify({ event: 'padding', data: '' });
  return JSON.stringify({ event: 'padding', data: 'x'.repeat(bytes - shell.length) });
};

/**
 * Limits that keep one authenticated client from taking the server's memory
 * from everyone else (CONTRACT.md): the frame size of authenticated sockets,
 * and what a member that never reads may make a room's broadcast hold.
 */
describe('the sample app: frames and buffers of authenticated sockets', () => {
  const sent = new SentCredentials(TEST_SECRET);
  let chat: RunningChatApp;
  let token: string;

  beforeAll(async () => {
    chat = await startChatApp();
    token = sent.add(await login(chat.http));
  });
  afterAll(() => chat?.close());

  it.each(['/chat', '/feed'])('%s: a frame of 64 KiB is taken, one byte more closes the socket with 1009', async (path) => {
    const socket = await connect(`${chat.ws}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    socket.send(frameOf(64 * KiB));
    await expect(ask(socket, 'whoami')).resolves.toMatchObject({ event: 'whoami', data: { sub: 'maggie' } });
    const closing = closed(socket);
    socket.send(frameOf(64 * KiB + 1));
    await expect(closing).resolves.toEqual({ code: 1009, reason: '' });
  });

  it('/feed: a socket authenticated by its first frame gets the 64 KiB limit too (16 KiB only while pending)', async () => {
    const socket = await connect(`${chat.ws}/feed`);
    await expect(exchange(socket, 'auth', { token })).resolves.toMatchObject({ data: { sub: 'maggie' } });
    socket.send(frameOf(32 * KiB));
    await expect(ask(socket, 'whoami')).resolves.toMatchObject({ event: 'whoami' });
    const closing = closed(socket);
    socket.send(frameOf(64 * KiB + 1));
    await expect(closing).resolves.toEqual({ code: 1009, reason: '' });
  });

  it('a room member that never reads does not make the broadcast buffer everything said: it misses frames, the others get all', async () => {
    const SAYS = 4000;
    const text = 'y'.repeat(4000); // the longest text a say may carry
    const [sayer, reader, stalled] = await Promise.all(
      [0, 1, 2].map(() => connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } })),
    );
    for (const member of [sayer, reader, stalled]) {
      await exchange(member, 'join', { room: 'slow' }, 'joined');
    }
    const counter = (socket: WebSocket) => {
      const count = { frames: 0, last: Date.now() };
      socket.on('message', () => {
        count.frames++;
        count.last = Date.now();
      });
      return count;
    };
    const heardByReader = counter(reader);
    const heardByStalled = counter(stalled);
    // The stalled member stops reading its TCP connection: what the server sends piles up.
    (stalled as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    for (let i = 0; i < SAYS; i++) {
      sayer.send(JSON.stringify({ event: 'say', data: { room: 'slow', text } }));
      if (i % 200 === 0) {
        await sleep(5); // lets the reader keep up
      }
    }
    /** Waits (at most 20 s) until `done`; never asserts how long it took. */
    const until = async (done: () => boolean) => {
      for (let waited = 0; waited < 20_000 && !done(); waited += 100) {
        await sleep(100);
      }
    };
    await until(() => heardByReader.frames >= SAYS);
    heardByStalled.last = Date.now();
    (stalled as unknown as { _socket: { resume(): void } })._socket.resume();
    // Everything the server kept for the stalled member arrives; then it stays quiet.
    await until(() => Date.now() - heardByStalled.last > 1000);
    process.stdout.write(`measured: ${SAYS} frames of about 4 KB said; the reading member got ${heardByReader.frames}, the stalled one ${heardByStalled.frames}\n`);
    expect(heardByReader.frames).toBe(SAYS);
    expect(heardByStalled.frames).toBeLessThan(SAYS);
    expect(heardByStalled.frames).toBeGreaterThan(0);
    [sayer, reader, stalled].forEach((socket) => socket.close());
  }, 60_000);

  it('printed no credential in any log line', () => {
    sent.audit(chat.logs);
  });
});

const SECRET = 'frame-limits-secret-0123456789abcdef0123';

@WsAuth({ sources: ['header'] })
@WebSocketGateway({ path: '/defaults' })
class DefaultLimitGateway {
  @SubscribeMessage('whoami')
  whoami() {
    return { event: 'whoami', data: 'ok' };
  }
}

describe('the library: a guarded gateway that sets no maxPayload', () => {
  let server: RunningTestApp;

  beforeAll(async () => {
    server = await startTestApp({ gateways: [DefaultLimitGateway], auth: { verifiers: [new JwtVerifier({ secret: SECRET })] } });
  });
  afterAll(() => server?.close());

  it('takes a 1 MiB frame and closes the socket with 1009 on one byte more (ws alone would take 100 MiB)', async () => {
    const socket = await connect(`${server.ws}/defaults`, { headers: { Authorization: `Bearer ${signHs(ownClaims(), SECRET)}` } });
    socket.send(frameOf(1024 * KiB));
    await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: 'ok' });
    const closing = closed(socket);
    socket.send(frameOf(1024 * KiB + 1));
    await expect(closing).resolves.toEqual({ code: 1009, reason: '' });
  });
});
