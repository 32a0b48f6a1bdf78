import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startChatApp, TEST_SECRET, type RunningChatApp } from '../support/chat-app.js';
import { eventually } from '../support/eventually.js';
import { ownClaims, signHs } from '../support/tokens.js';
import { ask, connect } from '../support/ws-client.js';
import { login, SentCredentials, sleep } from './catalogue.js';

const MAX_PENDING_SOCKETS = 1000; // the library default, which the sample app keeps
/**
 * The cap is only reached while more pending sockets are open than it allows,
 * so none may time out before the flood has opened that many: on a loaded
 * machine that takes seconds, hence a timeout well beyond it (the test then
 * waits about this long for the 4408 closes).
 */
const AUTH_TIMEOUT_MS = 10_000;
const PENDING_FLOOD = 1200; // past the cap
const OTHER_FLOOD = 1800; // refused /chat upgrades: no credential, junk, forged JWTs
const IN_FLIGHT = 200;
/**
 * Pending sockets are also capped per client address (100 by default): the
 * pending floods come from this many loopback addresses, so that together
 * they reach the total cap while none reaches its own.
 */
const FLOOD_ADDRESSES = 12;
const floodAddress = (i: number) => `127.0.1.${1 + (i % FLOOD_ADDRESSES)}`;
const MB = 1024 * 1024;

/** `global.gc` when jest runs with --expose-gc; otherwise the flag is set now and gc taken from a fresh context. */
function collector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) {
    return exposed;
  }
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

async function settledHeap(gc: (() => void) | undefined): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
}

/** One upgrade over a raw TCP socket: the status of the answer, and the socket if it was upgraded. */
interface RawAnswer {
  status: number;
  retryAfter?: string;
  challenge?: string;
  socket?: Socket;
  /** The close code the server sent, once it does (a pending socket's 4408). */
  closeCode: Promise<number | null>;
}

/**
 * Sends an upgrade request by hand and never answers anything afterwards: the
 * peer a flood is made of, which also ignores the server's close frame.
 * `from`: the loopback source address (Linux routes all of 127/8 to lo).
 */
function rawUpgrade(port: number, path: string, headers: string[] = [], from = '127.0.0.1'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', localAddress: from });
    let buffer = Buffer.alloc(0);
    let answered = false;
    let resolveClose: (code: number | null) => void = () => undefined;
    const closeCode = new Promise<number | null>((done) => (resolveClose = done));
    socket.setNoDelay(true);
    socket.on('error', (error) => (answered ? undefined : reject(error)));
    socket.on('close', () => resolveClose(null));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!answered) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) {
          return;
        }
        answered = true;
        const head = buffer.subarray(0, end).toString('latin1').split('\r\n');
        buffer = buffer.subarray(end + 4);
        const header = (name: string) => head.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
        const status = Number(head[0].split(' ')[1]);
        resolve({ status, retryAfter: header('retry-after'), challenge: header('www-authenticate'), socket: status === 101 ? socket : undefined, closeCode });
        if (status !== 101) {
          socket.destroy();
        }
      }
      // A server frame is unmasked: 0x88 is a close frame, its code the first two payload bytes.
      if (buffer.length >= 4 && buffer[0] === 0x88) {
        resolveClose(buffer.readUInt16BE(2));
      }
    });
    socket.write(
      [
        `GET ${path} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        ...headers,
        '',
        '',
      ].join('\r\n'),
    );
  });
}

/** A client's text frame: FIN, opcode 1, masked (RFC 6455 §5.3), payload under 126 bytes. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((byte, i) => byte ^ mask[i % 4])]);
}

/** Runs `count` jobs, at most `inFlight` at once. */
async function pool<T>(count: number, inFlight: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < count; i = next++) {
        results[i] = await job(i);
      }
    }),
  );
  return results;
}

/**
 * CONTRACT.md and the README under load: thousands of unauthenticated
 * upgrades (refused ones on /chat, pending ones on /feed past
 * `maxPendingSockets`) while legitimate clients keep connecting. Counts and
 * memory are asserted, never timings.
 */
describe('flood: 3,000 unauthenticated upgrades and pending sockets beside legitimate clients', () => {
  const sent = new SentCredentials(TEST_SECRET);
  let chat: RunningChatApp;
  let port: number;
  let token: string;
  const connections = () => new Promise<number>((resolve, reject) => (chat.app.getHttpServer() as Server).getConnections((error, count) => (error ? reject(error) : resolve(count))));

  beforeAll(async () => {
    chat = await startChatApp({ AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS) });
    port = Number(new URL(chat.http).port);
    token = sent.add(await login(chat.http));
  });
  afterAll(() => chat?.close());

  it('answers every flood request exactly, keeps every legitimate handshake working, bounds memory and releases the pending sockets', async () => {
    const gc = collector();
    const heapBefore = await settledHeap(gc);
    expect(await connections()).toBeLessThanOrEqual(1);

    // Legitimate clients in four lanes, one after another for as long as the flood lasts, rotating credential sources.
    let flooding = true;
    const legit: Array<{ source: string; ok: boolean; error?: string }> = [];
    const legitimate = Promise.all(
      Array.from({ length: 4 }, async (_, lane) => {
        const sources = ['header', 'protocol', 'ticket'] as const;
        for (let i = lane; flooding || i < lane + 3; i++) {
          const source = sources[i % sources.length];
          try {
            const socket =
              source === 'header'
                ? await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } })
                : source === 'protocol'
                  ? await connect(`${chat.ws}/feed`, { protocols: ['access_token', token] })
                  : await connect(`${chat.ws}/chat?ticket=${sent.add((await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`).expect(200)).body.ticket)}`);
            const reply = await ask(socket, 'whoami');
            socket.close();
            legit.push({ source, ok: reply.event === 'whoami' && reply.data.sub === 'maggie' && reply.data.source === source });
          } catch (error) {
            legit.push({ source, ok: false, error: String(error) });
          }
        }
      }),
    );

    // The flood: pending /feed sockets past the cap, held open by peers that never speak...
    let openPending = 0;
    let mostPendingAtOnce = 0;
    const pendingFlood = pool(PENDING_FLOOD, IN_FLIGHT, async (i) => {
      const answer = await rawUpgrade(port, '/feed', [], floodAddress(i));
      if (answer.status === 101) {
        mostPendingAtOnce = Math.max(mostPendingAtOnce, ++openPending);
        void answer.closeCode.then(() => openPending--);
      }
      return answer;
    });
    // ...and refused /chat upgrades: none, junk and forged credentials.
    const forged = sent.add(signHs(ownClaims(), 'not-the-apps-secret-not-the-apps-secret'));
    const otherFlood = pool(OTHER_FLOOD, IN_FLIGHT, (i) =>
      rawUpgrade(port, '/chat', [[], ['Authorization: Bearer junk.junk.junk'], [`Authorization: Bearer ${forged}`]][i % 3]),
    );
    const [pending, other] = await Promise.all([pendingFlood, otherFlood]);
    flooding = false;
    await legitimate;

    // Every legitimate handshake succeeded, with each source, throughout.
    expect(legit.filter((attempt) => !attempt.ok)).toEqual([]);
    expect(new Set(legit.map((attempt) => attempt.source))).toEqual(new Set(['header', 'protocol', 'ticket']));

    // Pending sockets: 101 up to the cap, then 503 with Retry-After, never more than the cap at once.
    const accepted = pending.filter((answer) => answer.status === 101);
    const refused = pending.filter((answer) => answer.status !== 101);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.map(({ status, retryAfter }) => ({ status, retryAfter }))).toEqual(refused.map(() => ({ status: 503, retryAfter: '1' })));
    expect(mostPendingAtOnce).toBeLessThanOrEqual(MAX_PENDING_SOCKETS);
    expect(accepted.length + refused.length).toBe(PENDING_FLOOD);

    // Refused /chat upgrades: exactly as CONTRACT.md says, per kind.
    expect(other.map(({ status, challenge }) => ({ status, challenge }))).toEqual(
      other.map((_, i) => ({ status: 401, challenge: i % 3 === 0 ? 'Bearer realm="ws"' : 'Bearer realm="ws", error="invalid_token"' })),
    );

    // The server closes every pending socket it accepted with 4408, although their peers never answer...
    await expect(Promise.all(accepted.map((answer) => answer.closeCode))).resolves.toEqual(accepted.map(() => 4408));
    // ...and lets go of them: the sockets it holds return to about none, and a pending socket is admitted again.
    await eventually(async () => expect(await connections()).toBeLessThanOrEqual(2), 10_000);
    accepted.forEach((answer) => answer.socket?.destroy());
    const again = await rawUpgrade(port, '/feed');
    expect(again.status).toBe(101);
    again.socket?.destroy();

    const growthMb = ((await settledHeap(gc)) - heapBefore) / MB;
    expect(growthMb).toBeLessThan(200);
  }, 45_000);

  it('pending peers that send junk at once (4401 frees their slot) and ignore the close frame: every one admitted and closed, then let go of', async () => {
    const baseline = await connections();
    const answers = await pool(1500, IN_FLIGHT, async (i) => {
      const answer = await rawUpgrade(port, '/feed', [], floodAddress(i));
      answer.socket?.write(maskedTextFrame('junk'));
      return { status: answer.status, code: await answer.closeCode, socket: answer.socket };
    });
    // The cap counts pending sockets only: each left it at its 4401, so all 1,500 got in, in turn.
    expect(answers.map(({ status, code }) => ({ status, code }))).toEqual(answers.map(() => ({ status: 101, code: 4401 })));
    await eventually(async () => expect(await connections()).toBeLessThanOrEqual(baseline + 2), 10_000);
    answers.forEach(({ socket }) => socket?.destroy());
  }, 30_000);

  it('printed no credential in any log line', () => {
    sent.audit(chat.logs);
  });
});
