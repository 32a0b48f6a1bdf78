import type { ClientCredential } from '../load/client-credential.js';
import type { SocketClose, SocketHolderConfig } from '../load/socket-holder.js';
import { BenchChild } from '../support/bench-child.js';

/** A process holding idle client sockets open (`load/socket-holder.ts`). */
export class SocketHolderProcess {
  private constructor(private readonly child: BenchChild) {}

  static async start(url: string, credential: ClientCredential, firstUser = 0): Promise<SocketHolderProcess> {
    const config: SocketHolderConfig = { url, credential, concurrency: 32, firstUser };
    return new SocketHolderProcess(await BenchChild.start('socket-holder', 'load/socket-holder.js', config));
  }

  /** Opens sockets until `count` are held. Throws when some were refused: the figure would be wrong. */
  async open(count: number): Promise<void> {
    const { held, failed } = await this.child.request<{ held: number; failed: number }>('open', { count });
    if (failed > 0 || held !== count) {
      throw new Error(`socket holder: ${held} of ${count} sockets open, ${failed} refused`);
    }
  }

  awaitClose(n: number): Promise<SocketClose> {
    return this.child.request<SocketClose>('awaitClose', { n });
  }

  isHeld(n: number): Promise<boolean> {
    return this.child.request<boolean>('isHeld', { n });
  }

  async closeAll(): Promise<void> {
    await this.child.request('closeAll');
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
