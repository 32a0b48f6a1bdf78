import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { freePort } from './free-port.js';

const BINARY = process.env.REDIS_SERVER_BIN || 'redis-server';
const READY_TIMEOUT_MS = 10_000;

let availability: boolean | undefined;

/**
 * Whether tests can start their own `redis-server`. Tests that need Redis
 * never mock it: without the binary they are skipped, with one loud line,
 * outside CI; under `CI=true` a missing binary fails the run instead, so CI
 * never passes by skipping.
 */
export function redisServerAvailable(): boolean {
  if (availability === undefined) {
    const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
    availability = !probe.error && probe.status === 0;
    if (!availability) {
      const why = `${BINARY} was not found (${probe.error?.message ?? `exit ${probe.status}`})`;
      if (process.env.CI === 'true') {
        throw new Error(`Redis tests cannot run: ${why}. CI must install redis-server (see .ci/run).`);
      }
      // Straight to stderr: one plain line, not console.warn's stack excerpt.
      process.stderr.write(`!!! SKIPPING the Redis tests: ${why}; install redis-server (apt-get install redis-server) to run them\n`);
    }
  }
  return availability;
}

/** A `redis-server` of the test's own, on a free loopback port, that the test may kill and start again. */
export class RedisServer {
  private process?: ChildProcess;

  private constructor(
    readonly port: number,
    /** More `redis-server` arguments, for every start (a cluster node's `--cluster-enabled yes`, ...). */
    private readonly extraArgs: readonly string[] = [],
    /** Its working directory: where a cluster node keeps its `nodes.conf` across restarts. */
    private readonly dir: string = tmpdir(),
  ) {}

  /** `redis://127.0.0.1:PORT` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  /** A server that is not started yet, on the given port, with more arguments and a directory of its own. */
  static on(port: number, extraArgs: readonly string[], dir: string): RedisServer {
    return new RedisServer(port, extraArgs, dir);
  }

  /** Starts (again) on the same port, with nothing persisted: a restarted Redis is an empty one. */
  async start(): Promise<void> {
    if (this.process) {
      return;
    }
    const child = spawn(
      BINARY,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => fail(new Error(`redis-server not ready within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        this.process = undefined;
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`redis-server exited with ${code}:\n${output}`)));
    });
    child.removeAllListeners('exit');
  }

  /** Kills it as a crash would (SIGKILL): no goodbye to its clients. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child) {
      return;
    }
    this.process = undefined;
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
