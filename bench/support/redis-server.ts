import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../../test/support/free-port.js';

/** Cumulative counters of a redis-server; a run subtracts two of them. */
export interface BenchRedisUsage {
  readonly cpuMicros: number;
  readonly commands: number;
  readonly reads: number;
}

/**
 * A redis-server of the benchmark's own on a free loopback port, without
 * persistence: the shared Redis on 6379 is left alone, and nothing of a run
 * survives it.
 */
export class BenchRedis {
  private probe?: Redis;

  private constructor(
    readonly port: number,
    private readonly process: ChildProcess,
  ) {}

  /**
   * What redis-server has done since it started: CPU microseconds (user +
   * system, from `INFO cpu`, which has microsecond resolution where /proc
   * has clock ticks), commands, and socket reads (one read can carry
   * several pipelined commands: commands over reads is how well clients
   * batch). Asked over a connection of its own; one `INFO` before and one
   * after a run weigh nothing beside the thousands of commands in between.
   */
  async usage(): Promise<BenchRedisUsage> {
    this.probe ??= new Redis({ host: '127.0.0.1', port: this.port });
    const info = await this.probe.info();
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    return {
      cpuMicros: (field('used_cpu_user') + field('used_cpu_sys')) * 1e6,
      commands: field('total_commands_processed'),
      reads: field('total_reads_processed'),
    };
  }

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
    this.probe?.disconnect();
    if (this.process.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    await exited;
  }
}
