import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IpcConfig, IpcConfigRequest, IpcReady, IpcReply } from './ipc-protocol.js';

/** Where the compiled bench scripts live: beside this file's parent folder. */
const BENCH_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BenchChildOptions {
  /** Extra flags for node (`--expose-gc`, `--cpu-prof`, ...), or for `execPath` when set. */
  execArgv?: string[];
  /** Run under another program (valgrind), which gets `execArgv` and then starts node itself. */
  execPath?: string;
  env?: Record<string, string>;
  /** What the child prints goes to the orchestrator's stderr, prefixed; default: dropped. */
  verbose?: boolean;
}

/**
 * A process of the benchmark (a server under test or a load generator),
 * driven by requests over IPC. Separate processes keep the load generator's
 * own work off the server's event loop and CPU time.
 */
export class BenchChild<TInfo = unknown> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  private exited = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly info: TInfo,
  ) {
    child.on('message', (message: IpcReply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) {
        return;
      }
      this.pending.delete(message.id);
      if (message.ok) {
        waiter.resolve(message.result);
      } else {
        waiter.reject(new Error(`${name}: ${message.error}`));
      }
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${name} exited (${signal ?? code}) during a request`));
      }
      this.pending.clear();
    });
  }

  /** Forks `script` (a path under dist/bench/bench), hands it `config`, and waits for its ready message. */
  static async start<TInfo = unknown>(name: string, script: string, config: unknown, options: BenchChildOptions = {}): Promise<BenchChild<TInfo>> {
    const child = fork(BENCH_ROOT + script, [], {
      execArgv: options.execArgv ?? [],
      execPath: options.execPath,
      env: { ...process.env, ...options.env },
      stdio: options.verbose ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced', // large sample arrays travel faster than as JSON
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    const info = await new Promise<TInfo>((resolve, reject) => {
      const onMessage = (message: IpcReady | IpcConfigRequest) => {
        if (message && 'awaitingConfig' in message) {
          child.send({ config } satisfies IpcConfig);
        } else if (message && message.ready) {
          child.off('exit', onExit);
          child.off('message', onMessage);
          resolve(message.info as TInfo);
        }
      };
      const onExit = (code: number | null) => reject(new Error(`${name} exited (${code}) before it was ready:\n${stderr}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    return new BenchChild<TInfo>(name, child, info);
  }

  request<T = unknown>(op: string, args?: unknown): Promise<T> {
    if (this.exited) {
      return Promise.reject(new Error(`${this.name} has exited`));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, op, args });
    });
  }

  /** Ends the child: disconnecting makes it exit; a child that does not is killed. */
  async stop(): Promise<void> {
    if (this.exited) {
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
