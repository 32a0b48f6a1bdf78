import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** Answers one request; a handler that never ends the response makes a server that never answers. */
export type RecordedHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface RecordingHttpServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `METHOD /path` of every request received, in order. */
  readonly requests: string[];
  /** What the server answers from now on. */
  handle(handler: RecordedHandler): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that records every request it gets: to prove that
 * something was never fetched (a `jku` pointing here), or to play an issuer
 * that is slow or talks nonsense.
 */
export async function startRecordingHttpServer(handler: RecordedHandler = (_, res) => res.writeHead(404).end()): Promise<RecordingHttpServer> {
  const requests: string[] = [];
  let current = handler;
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    current(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (next) => (current = next),
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A JSON answer. */
export function json(response: ServerResponse, body: unknown, status = 200): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
