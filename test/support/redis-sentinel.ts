import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const BINARY = process.env.REDIS_SERVER_BIN || 'redis-server';
const READY_TIMEOUT_MS = 10_000;
/** How long the Sentinel waits before it calls a silent master down: short, so a failover takes seconds. */
export const SENTINEL_DOWN_AFTER_MS = 1000;

/**
 * A real Redis Sentinel of the test's own (`redis-server <conf> --sentinel`),
 * on a free loopback port, monitoring one master with a quorum of one, so
 * that it alone may fail the master over to a replica.
 */
export class RedisSentinel {
  private constructor(
    readonly port: number,
    private readonly process: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(name: string, masterPort: number): Promise<RedisSentinel> {
    const port = await freePort();
    // The Sentinel rewrites its config file as it learns: it must be its own, writable.
    const dir = mkdtempSync(join(tmpdir(), 'ws-auth-sentinel-'));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${name} ${SENTINEL_DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${name} 5000`,
        '',
      ].join('\n'),
    );
    const child = spawn(BINARY, [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => fail(new Error(`sentinel not monitoring within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('+monitor master')) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          child.removeAllListeners('exit');
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`sentinel exited with ${code}:\n${output}`)));
    });
    return new RedisSentinel(port, child, dir);
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      await new Promise<void>((resolve) => {
        this.process.once('exit', () => resolve());
        this.process.kill('SIGKILL');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
