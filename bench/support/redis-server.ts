import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../test/support/free-port.js';

/**
 * A redis-server of the benchmark's own on a free loopback port, without
 * persistence: the shared Redis on 6379 is left alone, and nothing of a run
 * survives it.
 */
export class BenchRedis {
  private constructor(
    readonly port: number,
    private readonly process: ChildProcess,
  ) {}

  static async start(): Promise<BenchRedis> {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) {
          resolve();
        }
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${output}`)));
    });
    return new BenchRedis(port, child);
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    await exited;
  }
}
