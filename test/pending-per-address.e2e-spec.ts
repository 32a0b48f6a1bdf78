import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { JwtVerifier, WsAuth } from 'nestjs-ws-auth';
import WebSocket from 'ws';
import { startChatApp, TEST_SECRET, type RunningChatApp } from './support/chat-app.js';
import { startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { exchange } from './support/ws-client.js';
import { login, SentCredentials } from './security/catalogue.js';

/** CONTRACT.md: one client address holds at most this many pending /feed sockets. */
const PER_ADDRESS = 100;

interface Upgrade {
  status: number;
  socket: Socket;
}

/**
 * An upgrade without a credential from a chosen loopback source address
 * (Linux routes all of 127/8 to lo), answered and then left silent: a peer
 * that holds its pending slot. `headers`: extra request header lines.
 */
function silentUpgrade(url: string, from: string, headers: string[] = []): Promise<Upgrade> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: hostname, port: Number(port), localAddress: from });
    let head = '';
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.removeAllListeners('data');
        resolve({ status: Number(head.split(' ')[1]), socket });
      }
    });
    socket.write(
      [`GET ${pathname} HTTP/1.1`, `Host: ${hostname}`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, ...headers, '', ''].join('\r\n'),
    );
  });
}

/** A `ws` client socket from a chosen source address. */
function wsFrom(url: string, from: string, headers?: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress: from, headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`Handshake refused with ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

describe('pending sockets are capped per client address (CONTRACT.md: 100)', () => {
  const sent = new SentCredentials(TEST_SECRET);
  let chat: RunningChatApp;
  let token: string;
  const held: Socket[] = [];

  beforeAll(async () => {
    chat = await startChatApp();
    token = sent.add(await login(chat.http));
  });
  afterAll(async () => {
    held.forEach((socket) => socket.destroy());
    await chat?.close();
  });

  it('the 101st pending /feed socket of one address gets 503; another address still gets a pending socket that authenticates; the first address still gets in with a credential', async () => {
    const flood = await Promise.all(Array.from({ length: PER_ADDRESS }, () => silentUpgrade(`${chat.ws}/feed`, '127.0.0.2')));
    held.push(...flood.map((answer) => answer.socket));
    expect(flood.map((answer) => answer.status)).toEqual(flood.map(() => 101));

    const past = await silentUpgrade(`${chat.ws}/feed`, '127.0.0.2');
    held.push(past.socket);
    const other = await silentUpgrade(`${chat.ws}/feed`, '127.0.0.3');
    held.push(other.socket);
    process.stdout.write(`measured: ${PER_ADDRESS} pending sockets held by 127.0.0.2; its next one got ${past.status}, 127.0.0.3's got ${other.status}\n`);
    expect({ past: past.status, other: other.status }).toEqual({ past: 503, other: 101 });

    // A legitimate first-message client from another address authenticates as usual.
    const legit = await wsFrom(`${chat.ws}/feed`, '127.0.0.3');
    await expect(exchange(legit, 'auth', { token })).resolves.toMatchObject({ data: { sub: 'maggie' } });
    legit.close();
    // Handshakes with a credential are not pending: the flooding address still gets those.
    const withCredential = await wsFrom(`${chat.ws}/feed`, '127.0.0.2', { Authorization: `Bearer ${token}` });
    await expect(exchange(withCredential, 'whoami', undefined)).resolves.toMatchObject({ data: { sub: 'maggie' } });
    withCredential.close();

    // A slot freed is a slot for that address again.
    const leaving = flood[0].socket;
    const gone = new Promise((resolve) => leaving.once('close', resolve));
    leaving.destroy();
    await gone;
    let again: Upgrade | undefined;
    for (let attempt = 0; attempt < 50 && again?.status !== 101; attempt++) {
      again?.socket.destroy();
      again = await silentUpgrade(`${chat.ws}/feed`, '127.0.0.2');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    held.push(again!.socket);
    expect(again!.status).toBe(101);
  });

  it('printed no credential in any log line', () => {
    sent.audit(chat.logs);
  });
});

const SECRET = 'pending-per-address-secret-0123456789abcd';

@WsAuth({ sources: ['header'], firstMessage: true })
@WebSocketGateway({ path: '/pending' })
class PendingGateway {
  @SubscribeMessage('whoami')
  whoami() {
    return { event: 'whoami', data: 'ok' };
  }
}

describe('the client address behind a proxy (clientAddressHeader)', () => {
  const apps: RunningTestApp[] = [];
  const held: Socket[] = [];
  const start = async (clientAddressHeader?: string) => {
    const app = await startTestApp({
      gateways: [PendingGateway],
      auth: { verifiers: [new JwtVerifier({ secret: SECRET })], maxPendingSocketsPerAddress: 2, clientAddressHeader },
    });
    apps.push(app);
    return app;
  };
  const statuses = async (app: RunningTestApp, forwardedFor: string[]) => {
    const answers: number[] = [];
    for (const address of forwardedFor) {
      const answer = await silentUpgrade(`${app.ws}/pending`, '127.0.0.4', [`X-Forwarded-For: ${address}`]);
      held.push(answer.socket);
      answers.push(answer.status);
    }
    return answers;
  };
  afterAll(async () => {
    held.forEach((socket) => socket.destroy());
    await Promise.all(apps.map((app) => app.close()));
  });

  it('unset: the header is ignored, every request counts for the TCP peer', async () => {
    expect(await statuses(await start(), ['10.0.0.1', '10.0.0.2', '10.0.0.3'])).toEqual([101, 101, 503]);
  });

  it('set: each address the proxy appended has its own share (the last entry of the list, never one the client wrote before it)', async () => {
    const app = await start('x-forwarded-for');
    expect(await statuses(app, ['10.0.0.1', '10.0.0.1', '10.0.0.1', '10.0.0.2', 'forged, 10.0.0.2', '6.6.6.6, 10.0.0.2'])).toEqual([101, 101, 503, 101, 101, 503]);
  });

  it('a valid token still authenticates a pending socket counted by the header', async () => {
    const app = await start('x-forwarded-for');
    const socket = await wsFrom(`${app.ws}/pending`, '127.0.0.4', { 'X-Forwarded-For': '10.9.9.9' });
    await expect(exchange(socket, 'auth', { token: signHs(ownClaims(), SECRET) })).resolves.toMatchObject({ data: { sub: 'maggie' } });
    socket.close();
  });
});
