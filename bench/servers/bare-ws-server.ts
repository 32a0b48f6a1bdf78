import { createServer, type Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { echoReply } from './echo-reply.js';
import { liveSockets } from './live-sockets.js';
import { OPEN_PATH } from './server-config.js';

/** `ws` alone, answering the same echo frames as the gateways: the floor under every Nest figure. */
export async function startBareWsServer(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  const wss = new WebSocketServer({ server, path: OPEN_PATH });
  wss.on('connection', (socket) => {
    liveSockets.opened();
    socket.on('error', () => undefined);
    socket.on('close', () => liveSockets.closed());
    socket.on('message', (data) => {
      let frame: { event?: unknown; data?: unknown };
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (frame?.event === 'echo') {
        socket.send(JSON.stringify(echoReply(frame.data)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}
