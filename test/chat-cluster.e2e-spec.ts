import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Socket } from 'socket.io-client';
import type WebSocket from 'ws';
import { startChatApp, TEST_SECRET, untilRedisServes, type RunningChatApp } from './support/chat-app.js';
import { eventually } from './support/eventually.js';
import { closedByServer, connected, ioSocket, refused } from './support/io-client.js';
import { RedisCluster, redisClusterAvailable } from './support/redis-cluster.js';
import { closed, connect, exchange, rawUpgrade } from './support/ws-client.js';

/**
 * CONTRACT.md, `REDIS_CLUSTER_NODES`: two instances of the sample app on a
 * real three-master Redis Cluster (no replicas, full coverage required, as
 * Redis ships it) behave as one service, as they do on one Redis, over both
 * transports; a master killed means 503 for what needs the cluster, never a
 * socket, and its return means recovery without restarting the app.
 */
const describeWithCluster = redisClusterAvailable() ? describe : describe.skip;

/** Rounds of the ticket race: each is a fresh ticket, so its key lands on a random shard. */
const RACE_ROUNDS = 12;
/** How long a listener waits for one `said`. */
const HEAR_WITHIN_MS = 3000;
/** Tickets minted before a master is killed: the handshakes tried while it is down, none of which may get a socket. */
const TICKETS_BEFORE_CRASH = 6;

const login = async (chat: RunningChatApp, username = 'maggie', password = 'secret'): Promise<string> =>
  (await request(chat.http).post('/auth/login').send({ username, password }).expect(200)).body.access_token;
const mint = (chat: RunningChatApp, token: string) => request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`);
const ticketFor = async (chat: RunningChatApp, token: string): Promise<string> => (await mint(chat, token).expect(200)).body.ticket;
const logout = (chat: RunningChatApp, token: string) => request(chat.http).post('/auth/logout').set('Authorization', `Bearer ${token}`);
/** The part of a ticket's Redis key that names it: the store keeps its SHA-256, never the ticket. */
const storedAs = (ticket: string) => createHash('sha256').update(ticket).digest('base64url');

/** The login session (`sid`) of one of the app's own tokens. */
const sessionOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sid;

/** What one transport's client does, so each scenario is written once for both. */
interface ChatClient {
  /** Opens an authenticated socket; rejects with the refusal. */
  open(chat: RunningChatApp, credential: { token: string } | { ticket: string }): Promise<unknown>;
  /** The refusal of a handshake that must be refused: the HTTP status (ws) or the connect_error code (Socket.IO). */
  refusal(chat: RunningChatApp, credential: { token: string } | { ticket: string }): Promise<number | string>;
  join(socket: unknown, room: string): Promise<void>;
  /** Says `text` in `room` and resolves with the `said` data in which `listener` heard that text. */
  sayAndHear(speaker: unknown, listener: unknown, room: string, text: string): Promise<unknown>;
  /** Resolves with the close code the server ended the socket with. */
  closedBy(socket: unknown): Promise<number>;
  close(socket: unknown): void;
  /** The codes of a refusal because the store cannot answer, and because the credential is no good. */
  unavailable: number | string;
  invalid: number | string;
}

const wsClient: ChatClient = {
  open: (chat, credential) =>
    'ticket' in credential
      ? connect(`${chat.ws}/chat?ticket=${encodeURIComponent(credential.ticket)}`)
      : connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${credential.token}` } }),
  refusal: async (chat, credential) => {
    const answer =
      'ticket' in credential
        ? await rawUpgrade(`${chat.ws}/chat?ticket=${encodeURIComponent(credential.ticket)}`)
        : await rawUpgrade(`${chat.ws}/chat`, [['Authorization', `Bearer ${credential.token}`]]);
    if (answer.status === 101) {
      throw new Error('the handshake was accepted');
    }
    return answer.status;
  },
  join: async (socket, room) => {
    await exchange(socket as WebSocket, 'join', { room }, 'joined');
  },
  sayAndHear: (speaker, listener, room, text) => {
    const heard = new Promise((resolve, reject) => {
      const socket = listener as WebSocket;
      const timer = setTimeout(() => done(new Error(`"${text}" not heard within ${HEAR_WITHIN_MS} ms`)), HEAR_WITHIN_MS);
      const onMessage = (raw: WebSocket.RawData) => {
        const frame = JSON.parse(raw.toString());
        if (frame.event === 'said' && frame.data?.text === text) {
          done(undefined, frame.data);
        }
      };
      const done = (error?: Error, data?: unknown) => {
        clearTimeout(timer);
        socket.off('message', onMessage);
        error ? reject(error) : resolve(data);
      };
      socket.on('message', onMessage);
    });
    (speaker as WebSocket).send(JSON.stringify({ event: 'say', data: { room, text } }));
    return heard;
  },
  closedBy: async (socket) => (await closed(socket as WebSocket, 3000)).code,
  close: (socket) => (socket as WebSocket).close(),
  unavailable: 503,
  invalid: 401,
};

const ioClient: ChatClient = {
  open: (chat, credential) => connected(ioSocket(chat.http, { transports: ['websocket'], auth: credential })),
  refusal: async (chat, credential) => (await refused(ioSocket(chat.http, { transports: ['websocket'], auth: credential }))).data?.code ?? '',
  join: async (socket, room) => {
    await (socket as Socket).emitWithAck('join', { room });
  },
  sayAndHear: async (speaker, listener, room, text) => {
    const heard = new Promise((resolve, reject) => {
      const socket = listener as Socket;
      const timer = setTimeout(() => done(new Error(`"${text}" not heard within ${HEAR_WITHIN_MS} ms`)), HEAR_WITHIN_MS);
      const onSaid = (data: { text?: string }) => data?.text === text && done(undefined, data);
      const done = (error?: Error, data?: unknown) => {
        clearTimeout(timer);
        socket.off('said', onSaid);
        error ? reject(error) : resolve(data);
      };
      socket.on('said', onSaid);
    });
    expect(await (speaker as Socket).emitWithAck('say', { room, text })).toEqual({ ok: true });
    return heard;
  },
  closedBy: async (socket) => (await closedByServer(socket as Socket)).code,
  close: (socket) => (socket as Socket).close(),
  unavailable: 'unavailable',
  invalid: 'invalid_token',
};

describeWithCluster('the sample app on a Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  let cluster: RedisCluster;
  const sent: string[] = [];

  beforeAll(async () => {
    cluster = await RedisCluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  describe.each([
    ['ws', wsClient],
    ['socket.io', ioClient],
  ] as const)('WS_TRANSPORT=%s, two instances', (transport, client) => {
    let a: RunningChatApp;
    let b: RunningChatApp;
    const open: unknown[] = [];
    const opened = async (chat: RunningChatApp, credential: { token: string } | { ticket: string }) => {
      const socket = await client.open(chat, credential);
      open.push(socket);
      return socket;
    };
    const track = async <T extends string>(value: Promise<T>) => {
      sent.push(await value);
      return value;
    };

    beforeAll(async () => {
      const env = { WS_TRANSPORT: transport, REDIS_CLUSTER_NODES: cluster.seeds };
      a = await startChatApp(env);
      b = await startChatApp(env);
      // Each instance's cluster client connects in the background: minting answers 503 until then.
      await untilRedisServes([a, b], await login(a));
    });
    afterEach(async () => {
      open.splice(0).forEach((socket) => client.close(socket));
      // A test that failed with a master down leaves it down: the next ones get the whole cluster back.
      const down = cluster.nodes.filter((node) => !node.running);
      if (down.length > 0) {
        await Promise.all(down.map((node) => node.start()));
        await cluster.untilState('ok');
        await cluster.configSet('cluster-require-full-coverage', 'yes');
      }
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it(`redeems a ticket minted on one instance on the other, once: one winner in each of ${RACE_ROUNDS} races`, async () => {
      const token = await track(login(a));
      const shards = new Set<number>();
      for (let round = 0; round < RACE_ROUNDS; round++) {
        const ticket = await track(ticketFor(round % 2 ? b : a, token));
        shards.add(await cluster.holderOf(`*${storedAs(ticket)}*`));
        const outcomes = await Promise.allSettled([opened(a, { ticket }), opened(b, { ticket })]);
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        const loser = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
        expect(transport === 'ws' ? loser.reason.status : loser.reason.data?.code).toBe(client.invalid);
      }
      // The tickets lived in the cluster, spread over its shards (not in one instance's memory).
      expect(shards.has(-1)).toBe(false);
      expect(shards.size).toBeGreaterThan(1);
    });

    it('a say on one instance reaches the room’s members on the other', async () => {
      const maggie = await opened(a, { token: await track(login(a)) });
      const bart = await opened(b, { token: await track(login(b, 'bart', 'eatmyshorts')) });
      await client.join(maggie, 'cluster-room');
      await client.join(bart, 'cluster-room');
      await expect(client.sayAndHear(maggie, bart, 'cluster-room', 'hello from a')).resolves.toEqual({
        room: 'cluster-room',
        from: 'maggie',
        text: 'hello from a',
      });
      await expect(client.sayAndHear(bart, maggie, 'cluster-room', 'hello from b')).resolves.toMatchObject({ from: 'bart' });
      // Through the cluster's pub/sub: Socket.IO's sharded adapter on the namespace's shard channel
      // (and each instance's own response channel); /chat's rooms on one classic channel.
      if (transport === 'socket.io') {
        expect(await cluster.channels('sharded', 'socket.io#/chat#')).toEqual(['socket.io#/chat#']);
        expect(await cluster.channels('classic')).not.toContainEqual(expect.stringMatching(/^socket\.io/));
      } else {
        expect(await cluster.channels('classic', 'chat:rooms')).toEqual(['chat:rooms']);
      }
    });

    it('a logout on one instance closes the session’s sockets on the other with 4403 within 1 s; its token is refused there', async () => {
      const token = await track(login(a));
      const onB = await opened(b, { token });
      const ticket = await track(ticketFor(b, token));
      const closing = client.closedBy(onB);
      const started = Date.now();
      await logout(a, token).expect(204);
      expect(await closing).toBe(4403);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await client.refusal(b, { token })).toBe(client.invalid);
      expect(await client.refusal(a, { ticket })).toBe(client.invalid);
    });

    if (transport === 'ws') {
      it('counts failed logins in the cluster: ten on one instance lock the pair out on the other', async () => {
        // A name of this run's own: a lockout outlives the test for its window, in a cluster the blocks share.
        const username = `guesser-${randomUUID()}`;
        for (let i = 0; i < 10; i++) {
          await request(a.http).post('/auth/login').send({ username, password: `wrong-${i}` }).expect(401);
        }
        const locked = await request(b.http).post('/auth/login').send({ username, password: 'wrong' }).expect(429);
        expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
        expect(await cluster.holderOf(`*login-failures*${username}*`)).toBeGreaterThanOrEqual(0);
      });
    }

    if (transport === 'ws') {
      // The revocation path is the same for both transports (the library's session store): once is enough.
      it('a master restarted empty does not bring a logged-out token back: refused again everywhere within 2 s, on an instance that never heard of the logout too', async () => {
        const token = await track(login(a));
        await logout(a, token).expect(204);
        const holder = await cluster.holderOf(`*${sessionOf(token)}*`);
        expect(holder).toBeGreaterThanOrEqual(0);
        await cluster.kill(holder);
        // C starts after the logout: only the cluster can tell it, so A and B must write the revocation back.
        const c = await startChatApp({ WS_TRANSPORT: transport, REDIS_CLUSTER_NODES: cluster.seeds });
        try {
          await cluster.restart(holder); // empty: the session's revocation is gone from the cluster
          const back = Date.now();
          await eventually(
            async () => {
              for (const chat of [a, b, c]) {
                expect(await client.refusal(chat, { token })).toBe(client.invalid);
              }
            },
            2000,
            100,
          );
          expect(Date.now() - back).toBeLessThan(2000);
          c.logs.assertNoneContain(TEST_SECRET, ...sent);
        } finally {
          await c.close();
        }
        await untilRedisServes([a, b], await login(a));
      });
    }

    if (transport === 'ws') {
      // The README's claim for `cluster-require-full-coverage no`; the ticket path is the same for both transports.
      it('with cluster-require-full-coverage no, a master down costs only the tickets on its slots: the other shards keep serving', async () => {
        await cluster.configSet('cluster-require-full-coverage', 'no');
        try {
          const token = await track(login(a));
          // Every handshake checks revocations, which the session store keeps with its epoch key:
          // the master to kill is one that holds tickets and not those.
          const revocations = await cluster.holderOf('*epoch*');
          const before: string[] = [];
          let holders: number[] = [];
          while (before.length < TICKETS_BEFORE_CRASH || holders.every((holder) => holder === revocations)) {
            before.push(await track(ticketFor(a, token)));
            holders = await Promise.all(before.map((ticket) => cluster.holderOf(`*${storedAs(ticket)}*`)));
          }
          const victim = holders.find((holder) => holder !== revocations)!;
          await cluster.kill(victim);
          // Past the point where full coverage would stop the whole cluster.
          await cluster.untilFlaggedFailed(victim);
          const answers = await Promise.all(before.map((ticket, i) => (holders[i] === victim ? client.refusal(b, { ticket }) : opened(b, { ticket }))));
          answers.forEach((answer, i) => (holders[i] === victim ? expect(answer).toBe(client.unavailable) : expect(answer).toBeDefined()));
          // New tickets land on a random shard: those minted are on the live ones, the others were refused with 503.
          const mints = await Promise.all(Array.from({ length: 12 }, () => mint(a, token)));
          expect(mints.map((answer) => answer.status).filter((status) => status !== 200 && status !== 503)).toEqual([]);
          const minted = mints.filter((answer) => answer.status === 200).map((answer) => answer.body.ticket as string);
          expect(minted.length).toBeGreaterThan(0);
          for (const ticket of minted) {
            sent.push(ticket);
            expect(await cluster.holderOf(`*${storedAs(ticket)}*`)).not.toBe(victim);
          }
          await opened(b, { ticket: minted[0] });
          await cluster.restart(victim);
        } finally {
          await cluster.configSet('cluster-require-full-coverage', 'yes');
        }
        await untilRedisServes([a, b], await login(a));
      });
    }

    // Last in each block: it takes a master away and brings it back.
    it('a master killed: what needs the cluster gets 503, never a socket, login and chat within an instance go on; restarted, everything recovers', async () => {
      const token = await track(login(a));
      const maggie = await opened(a, { token });
      const bart = await opened(a, { token: await track(login(a, 'bart', 'eatmyshorts')) });
      const across = await opened(b, { token: await track(login(b, 'bart', 'eatmyshorts')) });
      await client.join(maggie, 'local');
      await client.join(bart, 'local');
      await client.join(across, 'local');
      // Tickets minted before the crash, one of them on the master about to go.
      const tickets: string[] = [];
      for (let i = 0; i < TICKETS_BEFORE_CRASH; i++) {
        tickets.push(await track(ticketFor(a, token)));
      }
      const victim = await cluster.holderOf(`*${storedAs(tickets[0])}*`);
      expect(victim).toBeGreaterThanOrEqual(0);

      await cluster.kill(victim);
      // Before the others call it failed: a ticket on the dead master cannot be judged.
      expect(await client.refusal(b, { ticket: tickets[0] })).toBe(client.unavailable);
      // Once they do, the cluster (full coverage required) serves no slot at all:
      // every ticket, mint and token handshake is refused, on both instances, at once.
      await cluster.untilState('fail');
      const refusals = await Promise.all([
        ...tickets.slice(1).map((ticket, i) => client.refusal(i % 2 ? a : b, { ticket })),
        client.refusal(a, { token }),
        client.refusal(b, { token }),
      ]);
      expect(refusals).toEqual(refusals.map(() => client.unavailable));
      for (const answer of await Promise.all([mint(a, token), mint(b, token)])) {
        expect(answer.status).toBe(503);
        expect(JSON.stringify(answer.headers) + answer.text).not.toContain(token);
      }
      // What does not need the cluster keeps working.
      await login(b);
      await expect(client.sayAndHear(maggie, bart, 'local', 'still here')).resolves.toMatchObject({ text: 'still here' });
      if (transport === 'ws') {
        // /chat's rooms cross instances on the cluster's classic pub/sub, which needs no slot: any live node relays.
        await expect(eventually(() => client.sayAndHear(maggie, across, 'local', 'over there'), 5000, 200)).resolves.toMatchObject({
          text: 'over there',
        });
      }

      await cluster.restart(victim);
      // Without restarting either instance: both mint again, and a ticket from one opens a socket on the other.
      await untilRedisServes([a, b], token);
      await opened(b, { ticket: await track(ticketFor(a, token)) });
      await opened(a, { ticket: await track(ticketFor(b, token)) });
      // Rooms cross instances again, whichever shard their channel lives on.
      const onB = await opened(b, { token: await track(login(b, 'bart', 'eatmyshorts')) });
      await client.join(onB, 'local');
      await eventually(() => client.sayAndHear(maggie, onB, 'local', 'back again'), 5000, 200).then((heard) =>
        expect(heard).toMatchObject({ text: 'back again' }),
      );
      // And a logout on one closes the session's sockets on the other.
      const closing = client.closedBy(await opened(b, { token }));
      await logout(a, token).expect(204);
      expect(await closing).toBe(4403);
    });

    it('printed no credential in any log line', () => {
      a.logs.assertNoneContain(TEST_SECRET, ...sent);
      b.logs.assertNoneContain(TEST_SECRET, ...sent);
    });
  });

  // Last: it stops the whole cluster.
  it('starts while no seed node answers, refuses with 503 meanwhile, and serves once the cluster is up, without a restart', async () => {
    await Promise.all(cluster.nodes.map((node) => node.kill()));
    const chat = await startChatApp({ REDIS_CLUSTER_NODES: cluster.seeds });
    try {
      const token = await login(chat);
      expect((await mint(chat, token)).status).toBe(503);
      expect(await wsClient.refusal(chat, { token })).toBe(503);
      for (const node of cluster.nodes) {
        await node.start();
      }
      await cluster.untilState('ok');
      await untilRedisServes([chat], token);
      (await wsClient.open(chat, { ticket: await ticketFor(chat, token) }) as WebSocket).close();
    } finally {
      await chat.close();
    }
  });
});
