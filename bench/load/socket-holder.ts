import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { epochMs } from '../support/clock.js';
import { receiveConfig, serveIpc } from '../support/ipc-endpoint.js';
import { ClientCredentials, type ClientCredential } from './client-credential.js';
import { openSocket } from './open-socket.js';

export interface SocketHolderConfig {
  readonly url: string;
  readonly credential: ClientCredential;
  /** Handshakes in flight while opening. */
  readonly concurrency: number;
  /** The user number of the first socket. */
  readonly firstUser?: number;
}

export interface SocketClose {
  readonly closedAt: number;
  readonly code: number;
}

/**
 * Holds idle sockets open (socket n carries user n's token): the live
 * sockets of the memory and 10k benchmarks, and the watchers of the
 * revocation benchmark, which note when each socket is closed.
 */
const config = await receiveConfig<SocketHolderConfig>();
const credentials = new ClientCredentials(config.url, config.credential);
const held = new Map<number, WebSocket>();
const closes = new Map<number, SocketClose>();
const closeWaiters = new Map<number, (close: SocketClose) => void>();
let opened = 0;

/** Opens sockets until `count` are held; the new ones take the next user numbers. */
async function open({ count }: { count: number }): Promise<{ held: number; failed: number; elapsedMs: number }> {
  const started = performance.now();
  let failed = 0;
  let remaining = count - held.size;
  const lane = async () => {
    while (remaining > 0) {
      remaining--;
      const n = opened++;
      const socket = await openSocket(credentials.handshake((config.firstUser ?? 0) + n), n);
      if (!socket) {
        failed++;
        continue;
      }
      held.set(n, socket);
      socket.once('close', (code) => {
        held.delete(n);
        const close = { closedAt: epochMs(), code };
        closes.set(n, close);
        closeWaiters.get(n)?.(close);
        closeWaiters.delete(n);
      });
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, lane));
  return { held: held.size, failed, elapsedMs: performance.now() - started };
}

/** Resolves when socket n closes (at once if it has). */
function awaitClose({ n }: { n: number }): Promise<SocketClose> {
  const close = closes.get(n);
  if (close) {
    return Promise.resolve(close);
  }
  return new Promise((resolve) => closeWaiters.set(n, resolve));
}

/** Whether socket n is open now (not refused at its handshake, not closed since). */
function isHeld({ n }: { n: number }): boolean {
  return held.has(n);
}

/** Closes every held socket and waits until the closes are done. */
async function closeAll(): Promise<{ held: number }> {
  const closing = [...held.values()].map((socket) => new Promise((resolve) => {
    socket.once('close', resolve);
    socket.close(1000);
  }));
  await Promise.all(closing);
  return { held: held.size };
}

serveIpc({ open, awaitClose, isHeld, closeAll });
