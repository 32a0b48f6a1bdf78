import { createHash } from 'node:crypto';
import { connect as tcpConnect, createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Cluster } from 'ioredis';
import {
  createRedisClient,
  createRedisClusterClient,
  JwtVerifier,
  RedisSessionStore,
  RedisTicketStore,
  TicketService,
  WsAuth,
  WsAuthError,
  WsAuthConfigurationError,
  WsAuthInfo,
  WsSessionService,
} from 'nestjs-ws-auth';
import { WsAuthIoAdapter } from 'nestjs-ws-auth/socket.io';
import { io, type Socket as IoSocket } from 'socket.io-client';
import WebSocket from 'ws';
import { eventually } from './support/eventually.js';
import { freePort } from './support/free-port.js';
import { createTestApp } from './support/guarded-test-app.js';
import { closedByServer, connected, refused } from './support/io-client.js';
import { LogCapture } from './support/log-capture.js';
import { RedisCluster } from './support/redis-cluster.js';
import { redisServerAvailable } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { ownClaims, signHs } from './support/tokens.js';
import { closed, connect, exchange } from './support/ws-client.js';

const describeWithRedis = redisServerAvailable() ? describe : describe.skip;
const SECRET = 'redis-cluster-test-secret-0123456789abcdef';
/** CONTRACT.md: a revoked session's sockets close within 1 s on every instance. */
const REVOKED_WITHIN_MS = 1000;
/** CONTRACT.md: a logout missed during a Redis fault, or lost with a Redis that restarted empty, takes effect within 2 s. */
const RESTORED_WITHIN_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tokenOf = (sid: string) => signHs(ownClaims({ sid }), SECRET);
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
/** The ticket store's key for a ticket (it stores only the SHA-256). */
const ticketKey = (ticket: string) => `ws-auth:ticket:${createHash('sha256').update(ticket).digest('base64url')}`;
/** The HTTP status of a handshake: 101 when it opened (and the socket is closed again). */
const handshake = (url: string, options = {}) =>
  connect(url, options).then(
    (socket) => {
      socket.close();
      return 101;
    },
    (error: { status?: number }) => error.status ?? 0,
  );

@WsAuth({ sources: ['ticket', 'header'] })
@WebSocketGateway({ path: '/live' })
class LiveGateway {
  @SubscribeMessage('whoami')
  whoami(@WsAuthInfo() auth: WsAuthInfo) {
    return { event: 'whoami', data: { sub: auth.subject, sid: auth.sessionId } };
  }
}

@WebSocketGateway({ namespace: '/live' })
class LiveIoGateway {
  @SubscribeMessage('whoami')
  whoami(@WsAuthInfo() auth: WsAuthInfo) {
    return { sub: auth.subject, sid: auth.sessionId };
  }
}

interface Instance {
  app: INestApplication;
  client: Cluster;
  /** `ws://` for the `ws` adapter, `http://` for Socket.IO. */
  base: string;
  tickets: TicketService;
  sessions: WsSessionService;
  logs: LogCapture;
}

/**
 * The Redis stores against a real three-master Redis Cluster of the test's
 * own (no replicas: a killed master's slots have no owner until it returns),
 * through app instances that share it, over the `ws` adapter and the
 * Socket.IO adapter.
 */
describeWithRedis('the Redis stores on a real Redis Cluster', () => {
  let cluster: RedisCluster;
  const instances: Instance[] = [];
  const proxies: TcpProxy[] = [];
  let a: Instance;
  let b: Instance;
  let ioB: Instance;

  /** An app instance whose stores use a Cluster client of its own (`createRedisClusterClient`), as an app would. */
  const instance = async (transport: 'ws' | 'socket.io' = 'ws', client: Cluster = createRedisClusterClient(cluster.seeds)): Promise<Instance> => {
    const { app, logs } = await createTestApp({
      gateways: [transport === 'ws' ? LiveGateway : LiveIoGateway],
      adapter: transport === 'ws' ? 'ws-auth' : 'none',
      auth: {
        verifiers: [new JwtVerifier({ secret: SECRET })],
        tickets: { store: new RedisTicketStore(client) },
        sessions: { store: new RedisSessionStore({ client }) },
      },
    });
    if (transport === 'socket.io') {
      app.useWebSocketAdapter(new WsAuthIoAdapter(app));
    }
    const port = await freePort();
    await app.listen(port, '127.0.0.1');
    const created: Instance = {
      app,
      client,
      base: `${transport === 'ws' ? 'ws' : 'http'}://127.0.0.1:${port}`,
      tickets: app.get(TicketService),
      sessions: app.get(WsSessionService),
      logs,
    };
    instances.push(created);
    // Serving once a handshake that needs the cluster (the revocation check) opens.
    await eventually(async () => expect(await handshake(`${created.base.replace('http', 'ws')}/live`, bearer(tokenOf('warm-up')))).not.toBe(503), 10_000);
    return created;
  };
  const identity = (sid: string) => ({ principal: { sub: 'maggie', sid }, subject: 'maggie', sessionId: sid, expiresAt: Date.now() + 300_000 });
  const ioConnect = (base: string, auth: Record<string, string>): IoSocket =>
    io(`${base}/live`, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
  /** The master of every revocation key (and, by design, of the epoch and the events channel). */
  const ownerOfSessions = () => cluster.ownerOf('{ws-auth:}revoked:sid:any');

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    [a, b] = await Promise.all([instance(), instance()]);
    ioB = await instance('socket.io');
  }, 60_000);
  afterEach(async () => {
    // A test that killed a master leaves the cluster whole again.
    for (let i = 0; i < cluster.nodes.length; i++) {
      if (!cluster.nodes[i].running) {
        await cluster.restart(i);
      }
    }
  }, 30_000);
  afterAll(async () => {
    await Promise.all(instances.map((each) => each.app.close()));
    instances.forEach((each) => each.client.disconnect());
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await cluster?.stop();
  }, 30_000);

  it('keeps every revocation key, the epoch and the events channel in one slot, and spreads tickets over every master', async () => {
    await a.sessions.revokeSession('layout', Date.now() + 60_000);
    const slotOf = (key: string) => a.client.cluster('KEYSLOT', key) as Promise<number>;
    const slots = new Set(await Promise.all(['{ws-auth:}revoked:sid:layout', '{ws-auth:}epoch', '{ws-auth:}session-events'].map(slotOf)));
    expect(slots.size).toBe(1);
    await expect(a.client.exists('{ws-auth:}revoked:sid:layout')).resolves.toBe(1);
    await expect(a.client.exists('{ws-auth:}epoch')).resolves.toBe(1);
    const owners = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const { ticket } = await a.tickets.issue(identity('layout-tickets'));
      owners.add(await cluster.ownerOf(ticketKey(ticket)));
    }
    expect(owners.size).toBe(3);
  });

  it('the ticket race across two instances: of 10 concurrent redemptions, half on each, exactly one opens, in every one of 40 rounds, on every master', async () => {
    const ROUNDS = 40;
    const owners = new Set<number>();
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { ticket } = await (round % 2 ? b : a).tickets.issue(identity(`race-${round}`));
      owners.add(await cluster.ownerOf(ticketKey(ticket)));
      const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => handshake(`${(i % 2 ? b : a).base}/live?ticket=${ticket}`)));
      winners.push(statuses.filter((status) => status === 101).length);
      expect(statuses.filter((status) => status !== 101).every((status) => status === 401)).toBe(true);
    }
    expect(winners).toEqual(Array(ROUNDS).fill(1));
    expect(owners.size).toBe(3);
  });

  it('a logout on one instance closes the session\'s sockets on the others within 1 s (ws: 4403; Socket.IO: auth_closed 4403)', async () => {
    const onB = await connect(`${b.base}/live`, bearer(tokenOf('logout')));
    await expect(exchange(onB, 'whoami', undefined)).resolves.toMatchObject({ data: { sid: 'logout' } });
    const { ticket } = await a.tickets.issue(identity('logout'));
    const onIo = await connected(ioConnect(ioB.base, { ticket }));
    await expect(onIo.emitWithAck('whoami')).resolves.toEqual({ sub: 'maggie', sid: 'logout' });

    const wsClosed = closed(onB, REVOKED_WITHIN_MS);
    const ioClosed = closedByServer(onIo);
    const revokedAt = Date.now();
    await a.sessions.revokeSession('logout', Date.now() + 60_000);
    await expect(wsClosed).resolves.toEqual({ code: 4403, reason: 'Session revoked' });
    const io = await ioClosed;
    expect({ code: io.code, disconnect: io.disconnect }).toEqual({ code: 4403, disconnect: 'io server disconnect' });
    expect(io.at - revokedAt).toBeLessThan(REVOKED_WITHIN_MS);
    expect(await handshake(`${b.base}/live`, bearer(tokenOf('logout')))).toBe(401);
  });

  it('a master killed: every handshake that needs the cluster gets 503 (Socket.IO: unavailable), never a socket, and the cluster serves again by itself when it returns', async () => {
    const { ticket } = await a.tickets.issue(identity('master-down'));
    const victim = await cluster.ownerOf(ticketKey(ticket));
    const open = await connect(`${b.base}/live`, bearer(tokenOf('open-before')));
    await cluster.kill(victim);
    const killedAt = Date.now();

    // The ticket's master is gone at once; with cluster-require-full-coverage
    // (Redis's default), the rest stop serving too once the others agree it failed.
    expect(await handshake(`${a.base}/live?ticket=${ticket}`)).toBe(503);
    await cluster.untilState('fail');
    const failedAfter = Date.now() - killedAt;
    const { ticket: unminted } = await a.tickets.issue(identity('while-down')).then(
      (issued) => ({ ticket: `minted: ${issued.ticket}` }),
      (error: unknown) => ({ ticket: error instanceof WsAuthError ? error.code : String(error) }),
    );
    expect(unminted).toBe('unavailable');
    expect(await handshake(`${a.base}/live`, bearer(tokenOf('while-down')))).toBe(503);
    expect(await handshake(`${b.base}/live`, bearer(tokenOf('while-down')))).toBe(503);
    expect((await refused(ioConnect(ioB.base, { token: tokenOf('while-down') }))).data).toEqual({ code: 'unavailable' });
    // What was open stays open: nothing asks Redis about it.
    expect(open.readyState).toBe(WebSocket.OPEN);

    await cluster.restart(victim);
    const restartedAt = Date.now();
    await eventually(async () => expect(await handshake(`${a.base}/live`, bearer(tokenOf('after')))).toBe(101), 10_000, 50);
    await eventually(async () => expect(await handshake(`${b.base}/live`, bearer(tokenOf('after')))).toBe(101), 10_000, 50);
    const { ticket: after } = await eventually(() => b.tickets.issue(identity('after')), 10_000, 50);
    expect(await handshake(`${a.base}/live?ticket=${after}`)).toBe(101);
    const onIo = await eventually(() => connected(ioConnect(ioB.base, { token: tokenOf('after') })), 10_000, 50);
    onIo.close();
    process.stdout.write(`measured: a master killed -> cluster_state:fail after ${failedAfter} ms; its return -> every instance serving again after ${Date.now() - restartedAt} ms\n`);
    open.close();
  }, 40_000);

  it('with cluster-require-full-coverage no, a master killed refuses (503) only the handshakes whose keys it held; the others still open', async () => {
    const setCoverage = (value: 'yes' | 'no') => cluster.configSet('cluster-require-full-coverage', value);
    await setCoverage('no');
    try {
      const sessionsOwner = await ownerOfSessions();
      let ticket = '';
      let victim = sessionsOwner;
      while (victim === sessionsOwner) {
        ({ ticket } = await a.tickets.issue(identity('partial')));
        victim = await cluster.ownerOf(ticketKey(ticket));
      }
      let elsewhere = '';
      for (let owner = victim; owner === victim; ) {
        ({ ticket: elsewhere } = await a.tickets.issue(identity('partial-elsewhere')));
        owner = await cluster.ownerOf(ticketKey(elsewhere));
      }
      await cluster.kill(victim);
      await sleep(2500); // past the node timeout: the others have marked it failed
      expect(await handshake(`${a.base}/live?ticket=${ticket}`)).toBe(503);
      expect(await handshake(`${b.base}/live?ticket=${elsewhere}`)).toBe(101);
      expect(await handshake(`${b.base}/live`, bearer(tokenOf('partial')))).toBe(101);
      await connected(ioConnect(ioB.base, { token: tokenOf('partial') })).then((socket) => socket.close());
    } finally {
      await cluster.restart(cluster.nodes.findIndex((node) => !node.running)).catch(() => undefined);
      await setCoverage('yes');
    }
  }, 40_000);

  it('the master of the revocations restarted empty: a logout from before is refused again within 2 s everywhere, also on an instance started during the outage that never heard of it', async () => {
    await a.sessions.revokeSession('restored', Date.now() + 300_000);
    await eventually(async () => expect(await handshake(`${b.base}/live`, bearer(tokenOf('restored')))).toBe(401));
    const owner = await ownerOfSessions();
    await cluster.kill(owner);
    await cluster.untilState('fail');
    // Started while the cluster cannot answer: it starts, and knows nothing of the logout.
    const lateClient = createRedisClusterClient(cluster.seeds);
    const late = instance('ws', lateClient);
    await cluster.restart(owner);
    const restartedAt = Date.now();
    const c = await late;
    await sleep(Math.max(0, restartedAt + RESTORED_WITHIN_MS - Date.now()));
    const statuses = await Promise.all([a, b, c].map((each) => handshake(`${each.base}/live`, bearer(tokenOf('restored')))));
    expect(statuses).toEqual([401, 401, 401]);
    // Written back by the instances that knew, on the master that lost it.
    await expect(lateClient.exists('{ws-auth:}revoked:sid:restored')).resolves.toBe(1);
    expect(await handshake(`${c.base}/live`, bearer(tokenOf('never-logged-out')))).toBe(101);
    process.stdout.write(`measured: revocations master restarted empty -> logged-out token refused on every instance ${RESTORED_WITHIN_MS} ms after the cluster was whole (${statuses.join(', ')})\n`);
  }, 60_000);

  it('an instance cut off from the revocations master (its connections blackholed, open) misses a logout; once the link heals it closes the socket 4403 within 2 s', async () => {
    const natMap: Record<string, { host: string; port: number }> = {};
    for (const node of cluster.nodes) {
      const proxy = await TcpProxy.start(node.port);
      proxies.push(proxy);
      natMap[`127.0.0.1:${node.port}`] = { host: '127.0.0.1', port: proxy.port };
    }
    const viaProxies = createRedisClusterClient(
      proxies.slice(-3).map((proxy) => ({ host: '127.0.0.1', port: proxy.port })),
      { natMap },
    );
    const c = await instance('ws', viaProxies);
    const socket = await connect(`${c.base}/live`, bearer(tokenOf('partitioned')));
    await expect(exchange(socket, 'whoami', undefined)).resolves.toMatchObject({ data: { sid: 'partitioned' } });
    const link = proxies[proxies.length - 3 + (await ownerOfSessions())];
    link.mode = 'blackhole';
    await a.sessions.revokeSession('partitioned', Date.now() + 60_000);
    await sleep(1500); // C's connections stay open: nothing tells it what it missed
    expect(socket.readyState).toBe(WebSocket.OPEN);
    const closing = closed(socket, RESTORED_WITHIN_MS);
    const healedAt = Date.now();
    link.mode = 'pass';
    await expect(closing).resolves.toEqual({ code: 4403, reason: 'Session revoked' });
    process.stdout.write(`measured: blackholed link to the revocations master healed -> 4403 on the cut-off instance after ${Date.now() - healedAt} ms\n`);
  }, 40_000);

  it('a client whose every seed is down at start does not stop the app: the stores answer unavailable, and serve once a seed answers', async () => {
    const port = await freePort();
    const client = createRedisClusterClient(`127.0.0.1:${port}`);
    const tickets = new RedisTicketStore(client);
    const sessions = new RedisSessionStore({ client });
    const codeOf = (work: () => Promise<unknown>) => work().then(() => 'answered', (error: unknown) => (error instanceof WsAuthError ? error.code : String(error)));
    let seed: Server | undefined;
    try {
      await sleep(500); // a few failed attempts
      expect(await codeOf(() => tickets.put('seedless', { principal: {}, subject: 'maggie', scopes: [], notAfter: Date.now() + 30_000 }, 30_000))).toBe('unavailable');
      expect(await codeOf(async () => sessions.isRevoked({ subject: 'maggie', sessionId: 'seedless' }))).toBe('unavailable');
      // The seed appears (a forwarder to a real node): the client finds the cluster by itself.
      seed = createServer((socket) => {
        const upstream = tcpConnect(cluster.nodes[0].port, '127.0.0.1');
        socket.pipe(upstream).pipe(socket);
        socket.on('error', () => upstream.destroy());
        upstream.on('error', () => socket.destroy());
      });
      await new Promise<void>((resolve) => seed!.listen(port, '127.0.0.1', resolve));
      await eventually(() => tickets.put('seedless', { principal: {}, subject: 'maggie', scopes: [], notAfter: Date.now() + 30_000 }, 30_000), 10_000);
      await expect(tickets.take('seedless')).resolves.toMatchObject({ subject: 'maggie' });
      await expect(sessions.isRevoked({ subject: 'maggie', sessionId: 'seedless' })).resolves.toBe(false);
    } finally {
      await sessions.close();
      client.disconnect();
      seed?.close();
    }
  });

  it('refuses, at construction, a subscriber that cannot carry sharded pub/sub, and a prefix that would break the hash tag', () => {
    const plain = createRedisClient('redis://127.0.0.1:1', { lazyConnect: true });
    const unsharded = createRedisClusterClient(cluster.seeds, { lazyConnect: true });
    try {
      expect(() => new RedisSessionStore({ client: a.client, subscriber: plain })).toThrow(WsAuthConfigurationError);
      expect(() => new RedisSessionStore({ client: a.client, subscriber: unsharded })).toThrow(/shardedSubscribers/);
      expect(() => new RedisSessionStore({ client: a.client, prefix: 'app:{x}:' })).toThrow(WsAuthConfigurationError);
    } finally {
      plain.disconnect();
      unsharded.disconnect();
    }
  });

  it('logs outages without an address, and no credential', () => {
    const lines = instances.flatMap((each) => each.logs.lines);
    const down = lines.findIndex((line) => line.includes('A Redis Cluster node is unreachable'));
    expect(down).toBeGreaterThanOrEqual(0);
    expect(lines.slice(down).some((line) => line.includes('A Redis Cluster node is reachable again'))).toBe(true);
    expect(lines.filter((line) => /127\.0\.0\.1|redis:\/\/|Bearer|eyJ/.test(line))).toEqual([]);
  });
});
