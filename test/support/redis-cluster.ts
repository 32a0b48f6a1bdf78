import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RedisServer, redisServerAvailable } from './redis-server.js';

const run = promisify(execFile);
const CLI = process.env.REDIS_CLI_BIN || 'redis-cli';
const READY_TIMEOUT_MS = 20_000;
/**
 * How long the other masters wait before they call a silent master failed
 * (and, with full coverage required, the cluster down). Short, so that a
 * test sees CLUSTERDOWN within a second or two of killing a master.
 */
export const CLUSTER_NODE_TIMEOUT_MS = 1000;

let cliAvailability: boolean | undefined;

/**
 * Whether tests can start their own Redis Cluster: `redis-server` (see
 * `redisServerAvailable()`) and `redis-cli`, which joins the nodes. As there,
 * a missing binary skips with one loud line outside CI and fails under
 * `CI=true`, so CI never passes by skipping the cluster tests.
 */
export function redisClusterAvailable(): boolean {
  if (!redisServerAvailable()) {
    return false;
  }
  if (cliAvailability === undefined) {
    const probe = spawnSync(CLI, ['--version'], { encoding: 'utf8' });
    cliAvailability = !probe.error && probe.status === 0;
    if (!cliAvailability) {
      const why = `${CLI} was not found (${probe.error?.message ?? `exit ${probe.status}`})`;
      if (process.env.CI === 'true') {
        throw new Error(`Redis Cluster tests cannot run: ${why}. CI must install redis-cli (package redis-tools; see .ci/run).`);
      }
      process.stderr.write(`!!! SKIPPING the Redis Cluster tests: ${why}; install redis-cli (apt-get install redis-tools) to run them\n`);
    }
  }
  return cliAvailability;
}

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

  /** The index of the node that holds a key matching `pattern` (a SCAN on a cluster node sees that node's keys only), or -1. */
  async holderOf(pattern: string): Promise<number> {
    for (const [index, node] of this.nodes.entries()) {
      if (node.running) {
        const { stdout } = await run(CLI, ['-p', String(node.port), '--scan', '--pattern', pattern]);
        if (stdout.trim() !== '') {
          return index;
        }
      }
    }
    return -1;
  }

  /**
   * The channels with subscribers on any running node: `classic` ones
   * (PUBSUB CHANNELS, each node lists its own subscribers) or `sharded` ones
   * (PUBSUB SHARDCHANNELS, each node lists its shard's).
   */
  async channels(kind: 'classic' | 'sharded', pattern = '*'): Promise<string[]> {
    const subcommand = kind === 'classic' ? 'channels' : 'shardchannels';
    const found = new Set<string>();
    for (const node of this.nodes.filter((n) => n.running)) {
      const { stdout } = await run(CLI, ['-p', String(node.port), 'pubsub', subcommand, pattern]);
      stdout.split('\n').filter(Boolean).forEach((channel) => found.add(channel));
    }
    return [...found].sort();
  }

  /** Waits until every running node has flagged node `index` as failed (`fail`, past the `fail?` of one node's suspicion). */
  async untilFlaggedFailed(index: number): Promise<void> {
    const port = `:${this.nodes[index].port}@`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const views = await Promise.all(
        this.nodes
          .filter((node) => node.running)
          .map(async (node) => {
            const { stdout } = await run(CLI, ['-p', String(node.port), 'cluster', 'nodes']).catch(() => ({ stdout: '' }));
            return stdout.split('\n').find((line) => line.includes(port)) ?? '';
          }),
      );
      if (views.every((line) => /(^|[\s,])fail([\s,]|$)/.test(line))) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`node ${index} not flagged failed within ${READY_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
