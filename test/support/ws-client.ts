import { request, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';

export interface UpgradeAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Sends an upgrade request exactly as given (repeated headers included, which
 * the `ws` client refuses to send) and returns the server's answer.
 * `headers` is a flat list of [name, value] pairs.
 */
export function rawUpgrade(url: string, headers: Array<[string, string]> = []): Promise<UpgradeAnswer> {
  const target = new URL(url.replace(/^ws/, 'http'));
  const flat: string[] = [
    'Connection', 'Upgrade',
    'Upgrade', 'websocket',
    'Sec-WebSocket-Version', '13',
    'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==',
  ];
  for (const [name, value] of headers) {
    flat.push(name, value);
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: target.pathname + target.search, headers: flat });
    req.on('upgrade', (res, socket: Socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface WsConnectOptions {
  headers?: Record<string, string>;
  protocols?: string[];
  origin?: string;
}

/** Opens a real `ws` client socket; rejects with the HTTP status when the handshake is refused. */
export function connect(url: string, options: WsConnectOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers, origin: options.origin });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`Handshake refused with ${res.statusCode}`), { status: res.statusCode, headers: res.headers }));
      res.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** Resolves with the next JSON frame the socket receives. */
export function nextMessage<T = { event: string; data: any }>(socket: WebSocket, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error('No message within ' + timeoutMs + ' ms'));
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      clearTimeout(timer);
      resolve(JSON.parse(data.toString()) as T);
    };
    socket.once('message', onMessage);
  });
}

/** Sends `{event, data}` and waits for the next frame. */
export async function ask(socket: WebSocket, event: string, data?: unknown): Promise<{ event: string; data: any }> {
  const reply = nextMessage(socket);
  socket.send(JSON.stringify({ event, data }));
  return reply;
}

/** Resolves with the close code and reason. */
export function closed(socket: WebSocket, timeoutMs = 5000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    if (socket.readyState === WebSocket.CLOSED) {
      reject(new Error('Socket already closed'));
      return;
    }
    const timer = setTimeout(() => reject(new Error('Not closed within ' + timeoutMs + ' ms')), timeoutMs);
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
}

/** Resolves with the next frame of one event, skipping others (such as `auth_expiring` hints). */
export function waitFor(socket: WebSocket, event: string, timeoutMs = 3000): Promise<{ event: string; data: any }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`No ${event} frame within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString());
      if (frame.event === event) {
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(frame);
      }
    };
    socket.on('message', onMessage);
  });
}

/** Sends `{event, data}` and waits for the reply of event `replyEvent`. */
export function exchange(socket: WebSocket, event: string, data: unknown, replyEvent = event): Promise<{ event: string; data: any }> {
  const reply = waitFor(socket, replyEvent);
  socket.send(JSON.stringify({ event, data }));
  return reply;
}
