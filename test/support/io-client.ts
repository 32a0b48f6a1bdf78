import { io, type Socket } from 'socket.io-client';

/** The two ways a Socket.IO client reaches the server: WebSocket alone, and long-polling upgraded to WebSocket. */
export const IO_TRANSPORTS = [['websocket'], ['polling', 'websocket']] as const;
export type IoTransports = (typeof IO_TRANSPORTS)[number];

export interface IoConnectOptions {
  transports: IoTransports;
  auth?: Record<string, unknown> | ((cb: (data: object) => void) => void);
  headers?: Record<string, string>;
}

/** A `socket.io-client` socket on `/chat`, never reconnecting on its own: each test decides. */
export function ioSocket(base: string, { transports, auth, headers }: IoConnectOptions): Socket {
  return io(`${base}/chat`, {
    transports: [...transports],
    auth: auth as never,
    extraHeaders: headers,
    reconnection: false,
    forceNew: true,
  });
}

/** Resolves once connected; rejects with the `connect_error`. */
export function connected(socket: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** The `connect_error` of a socket that must be refused. */
export function refused(socket: Socket): Promise<Error & { data?: { code?: string } }> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('the socket was accepted')));
    socket.once('connect_error', (error) => {
      socket.close();
      resolve(error as Error & { data?: { code?: string } });
    });
  });
}

/** What the server said in `auth_closed`, with the `disconnect` reason that followed and when. */
export function closedByServer(socket: Socket): Promise<{ code: number; reason: string; disconnect: string; at: number }> {
  return new Promise((resolve) => {
    let said: { code: number; reason: string } | undefined;
    socket.once('auth_closed', (data: { code: number; reason: string }) => (said = data));
    socket.once('disconnect', (disconnect: string) => resolve({ ...(said ?? { code: 0, reason: '' }), disconnect, at: Date.now() }));
  });
}
