import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with the bytes between a client and its target:
 * - `pass`: forwards them both ways;
 * - `delay`: forwards them both ways, each chunk `delayMs` late (order kept);
 * - `blackhole`: swallows them, keeping every connection open (a partition);
 * - `garbage`: answers whatever the client sends with bytes that are not RESP
 *   (nor any protocol a client expects), forwarding nothing.
 */
export type TcpProxyMode = 'pass' | 'delay' | 'blackhole' | 'garbage';

/** Bytes no Redis would send: RESP has no reply type `H`. */
export const NOT_RESP = 'HTTP/1.1 400 Bad Request\r\n\r\n';

/**
 * A loopback TCP proxy in front of a real server (a test's own redis-server),
 * so a test can make that server slow, unreachable behind an open connection,
 * or nonsensical, while the server itself stays healthy.
 */
export class TcpProxy {
  mode: TcpProxyMode = 'pass';
  delayMs = 1500;
  /**
   * When set, a connection whose client sends bytes matching it is cut right
   * there, before they are forwarded: a link that fails at one exact step.
   */
  cutOn: RegExp | null = null;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new TcpProxy(server, (server.address() as { port: number }).port, targetPort);
  }

  /** `redis://127.0.0.1:PORT` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Connections currently open through the proxy. */
  get connections(): number {
    return this.pairs.size;
  }

  /**
   * Cuts every connection (a reset after a partition heals) and forgets the
   * bytes still waiting in `delay`: a client then reconnects to a clean stream
   * instead of receiving replies in an order it never asked for.
   */
  reset(mode: TcpProxyMode = 'pass'): void {
    this.mode = mode;
    this.cutOn = null;
    this.timers.forEach((timer) => clearTimeout(timer));
    this.timers.clear();
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.reset();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => (this.cutOn?.test(chunk.toString('latin1')) ? end() : this.carry(chunk, upstream, client)));
    upstream.on('data', (chunk: Buffer) => this.carry(chunk, client, null));
  }

  /** `replyTo` is the client when the chunk travels towards the target. */
  private carry(chunk: Buffer, to: Socket, replyTo: Socket | null): void {
    switch (this.mode) {
      case 'pass':
        to.write(chunk);
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!to.destroyed) {
            to.write(chunk);
          }
        }, this.delayMs);
        this.timers.add(timer);
        return;
      }
      case 'blackhole':
        return;
      case 'garbage':
        if (replyTo && !replyTo.destroyed) {
          replyTo.write(NOT_RESP);
        }
        return;
    }
  }
}
