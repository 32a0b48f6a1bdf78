import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RedisServer } from './redis-server.js';

const run = promisify(execFile);
const CLI = process.env.REDIS_CLI_BIN || 'redis-cli';
const READY_TIMEOUT_MS = 20_000;
/**
 * How long the other masters wait before they call a silent master failed
 * (and, with full coverage required, the cluster down). Short, so that a
 * test sees CLUSTERDOWN within a second or two of killing a master.
 */
export const CLUSTER_NODE_TIMEOUT_MS = 1000;

/**
 * A real Redis Cluster of the test's own: `masters` cluster-enabled
 * `redis-server`s on free loopback ports, joined with `redis-cli --cluster
 * create` and no replicas, so every slot has exactly one owner. A node that is
 * killed and started again keeps its `nodes.conf` (its identity and slots)
 * but none of its data, as a master without persistence would.
 */
export class RedisCluster {
  private constructor(
    readonly nodes: readonly RedisServer[],
    private readonly dir: string,
  ) {}

  /** `127.0.0.1:PORT,127.0.0.1:PORT,...`: the seed list `REDIS_CLUSTER_NODES` takes. */
  get seeds(): string {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  /** The seed nodes as ioredis's `Cluster` takes them. */
  get startupNodes(): Array<{ host: string; port: number }> {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  static async start(masters = 3): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'ws-auth-cluster-'));
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) {
        const port = await freeClusterPort(nodes.map((node) => node.port));
        const nodeDir = join(dir, String(port));
        mkdirSync(nodeDir);
        const node = RedisServer.on(
          port,
          ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS)],
          nodeDir,
        );
        await node.start();
        nodes.push(node);
      }
      await run(CLI, ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes']);
      const cluster = new RedisCluster(nodes, dir);
      await cluster.untilState('ok');
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((node) => node.kill()));
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Kills one master as a crash would; its slots have no owner until it returns. */
  async kill(index: number): Promise<void> {
    await this.nodes[index].kill();
  }

  /** Starts a killed master again, empty, on its port, and waits until the cluster serves every slot again. */
  async restart(index: number): Promise<void> {
    await this.nodes[index].start();
    await this.untilState('ok');
  }

  /** `CONFIG SET name value` on every running node (not persisted: a restarted node has the default again). */
  async configSet(name: string, value: string): Promise<void> {
    await Promise.all(this.nodes.filter((node) => node.running).map((node) => run(CLI, ['-p', String(node.port), 'config', 'set', name, value])));
  }

  /** The index of the master that owns `key`'s slot. */
  async ownerOf(key: string): Promise<number> {
    const live = this.nodes.find((node) => node.running);
    if (!live) {
      throw new Error('no cluster node is running');
    }
    const { stdout: slot } = await run(CLI, ['-p', String(live.port), 'cluster', 'keyslot', key]);
    const { stdout: shards } = await run(CLI, ['-p', String(live.port), 'cluster', 'slots']);
    // `cluster slots` prints, per range: start, end, then the master's ip, port and id on separate lines.
    const lines = shards.trim().split('\n');
    for (let i = 0; i + 3 < lines.length; i++) {
      const start = Number(lines[i]);
      const end = Number(lines[i + 1]);
      const port = Number(lines[i + 3]);
      if (Number.isInteger(start) && Number.isInteger(end) && start <= Number(slot) && Number(slot) <= end) {
        const index = this.nodes.findIndex((node) => node.port === port);
        if (index >= 0) {
          return index;
        }
      }
    }
    throw new Error(`no owner found for slot ${slot.trim()}`);
  }

  /** Waits until every running node reports `cluster_state:<state>`. */
  async untilState(state: 'ok' | 'fail'): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const states = await Promise.all(
        this.nodes
          .filter((node) => node.running)
          .map(async (node) => {
            const { stdout } = await run(CLI, ['-p', String(node.port), 'cluster', 'info']).catch(() => ({ stdout: '' }));
            return /cluster_state:(\w+)/.exec(stdout)?.[1];
          }),
      );
      if (states.length > 0 && states.every((s) => s === state)) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`cluster not ${state} within ${READY_TIMEOUT_MS} ms (nodes say ${states.join(', ')})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A free loopback port whose cluster bus port (the port + 10000) is free too. */
async function freeClusterPort(taken: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (!taken.includes(port) && (await isFree(port)) && (await isFree(port + 10_000))) {
      return port;
    }
  }
  throw new Error('no free port pair for a cluster node');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
