import request from 'supertest';
import WebSocket from 'ws';
import { startChatApp, TEST_SECRET, type RunningChatApp } from './support/chat-app.js';
import { freePort } from './support/free-port.js';
import { closedByServer, connected, IO_TRANSPORTS, ioSocket, refused, type IoTransports } from './support/io-client.js';
import { ownClaims, signHs } from './support/tokens.js';

/** CONTRACT.md "Socket.IO": the sample app with WS_TRANSPORT=socket.io, over real socket.io-client sockets. */
const login = async (chat: RunningChatApp, username = 'maggie', password = 'secret'): Promise<string> =>
  (await request(chat.http).post('/auth/login').send({ username, password }).expect(200)).body.access_token;
const ticketFor = async (chat: RunningChatApp, token: string): Promise<string> =>
  (await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`).expect(200)).body.ticket;

describe('Socket.IO transport (WS_TRANSPORT=socket.io)', () => {
  let chat: RunningChatApp;
  const open: { close(): void }[] = [];
  const track = <T extends { close(): void }>(socket: T): T => (open.push(socket), socket);

  beforeAll(async () => {
    chat = await startChatApp({ WS_TRANSPORT: 'socket.io', AUTH_TIMEOUT_MS: '500' });
  });
  afterEach(() => open.splice(0).forEach((socket) => socket.close()));
  afterAll(() => chat.close());

  it('serves the Socket.IO client script', async () => {
    const response = await request(chat.http).get('/socket.io/socket.io.js').expect(200);
    expect(response.text).toContain('io');
  });

  it('refuses a foreign Origin at the Engine.IO handshake with 403, creating no session (polling)', async () => {
    const response = await request(chat.http).get('/socket.io/?EIO=4&transport=polling').set('Origin', 'https://evil.example');
    expect(response.status).toBe(403);
    expect(response.text).not.toMatch(/"sid"/);
    const allowed = await request(chat.http).get('/socket.io/?EIO=4&transport=polling').set('Origin', chat.origin);
    expect(allowed.status).toBe(200);
    expect(allowed.text).toMatch(/"sid"/);
  });

  it('refuses a foreign Origin on a WebSocket-transport handshake before the 101', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${chat.ws}/socket.io/?EIO=4&transport=websocket`, { headers: { Origin: 'https://evil.example' } });
      socket.once('unexpected-response', (_, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => reject(new Error('upgraded')));
      socket.once('error', () => undefined);
    });
    expect([403, 400]).toContain(status);
  });

  it('closes a connection that opens no namespace within AUTH_TIMEOUT_MS of the transport opening', async () => {
    const socket = track(new WebSocket(`${chat.ws}/socket.io/?EIO=4&transport=websocket`));
    const first = await new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    expect(first.startsWith('0')).toBe(true); // Engine.IO's open packet; no CONNECT is sent
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(socket.readyState).toBe(WebSocket.CLOSED);
  });

  describe.each(IO_TRANSPORTS.map((transports) => [transports.join('+'), transports] as [string, IoTransports]))('over %s', (_, transports) => {
    const connect = (options: Omit<Parameters<typeof ioSocket>[1], 'transports'> = {}) => track(ioSocket(chat.http, { transports, ...options }));

    it.each([
      ['no credential', {}, undefined, 'missing_credential'],
      ['a forged token', { token: signHs(ownClaims(), 'another-secret-that-is-long-enough-for-hs256') }, undefined, 'invalid_token'],
      ['an expired token', { token: signHs(ownClaims({ exp: Math.floor(Date.now() / 1000) - 60 }), TEST_SECRET) }, undefined, 'invalid_token'],
      ['an unknown ticket', { ticket: 'A'.repeat(43) }, undefined, 'invalid_token'],
      ['a token in an object', { token: { value: 'x' } }, undefined, 'invalid_request'],
      ['a token in an array', { token: ['a', 'b'] }, undefined, 'invalid_request'],
      ['a 100 KB token', { token: 'a'.repeat(100 * 1024) }, undefined, 'invalid_token'],
      ['a bad header', {}, { Authorization: 'Bearer not-a-jwt' }, 'invalid_token'],
    ])('refuses %s with connect_error %s', async (__, auth, headers, code) => {
      const error = await refused(connect({ auth, headers }));
      expect(error.message).toBe(code);
      expect(error.data).toEqual({ code });
    });

    it('refuses two credentials (header and auth.token, auth.token and auth.ticket) with invalid_request', async () => {
      const token = await login(chat);
      const both = await refused(connect({ auth: { token }, headers: { Authorization: `Bearer ${token}` } }));
      expect(both.data).toEqual({ code: 'invalid_request' });
      const pair = await refused(connect({ auth: { token, ticket: await ticketFor(chat, token) } }));
      expect(pair.data).toEqual({ code: 'invalid_request' });
    });

    it('accepts auth.token, auth.ticket (once) and the header, and answers whoami with the source', async () => {
      const token = await login(chat);
      const byToken = await connected(connect({ auth: { token } }));
      expect(await byToken.emitWithAck('whoami')).toEqual({ sub: 'maggie', source: 'auth' });
      const ticket = await ticketFor(chat, token);
      const byTicket = await connected(connect({ auth: { ticket } }));
      expect(await byTicket.emitWithAck('whoami')).toEqual({ sub: 'maggie', source: 'ticket' });
      expect((await refused(connect({ auth: { ticket } }))).data).toEqual({ code: 'invalid_token' });
      const byHeader = await connected(connect({ headers: { Authorization: `Bearer ${token}` } }));
      expect(await byHeader.emitWithAck('whoami')).toEqual({ sub: 'maggie', source: 'header' });
    });

    it('chats: join, say to members only, not_joined without broadcast', async () => {
      const maggie = await connected(connect({ auth: { token: await login(chat) } }));
      const bart = await connected(connect({ auth: { token: await login(chat, 'bart', 'eatmyshorts') } }));
      expect(await maggie.emitWithAck('join', { room: 'lobby' })).toEqual({ room: 'lobby' });
      expect(await bart.emitWithAck('join', { room: 'lobby' })).toEqual({ room: 'lobby' });
      const heard = new Promise((resolve) => bart.once('said', resolve));
      expect(await maggie.emitWithAck('say', { room: 'lobby', text: 'hi' })).toEqual({ ok: true });
      expect(await heard).toEqual({ room: 'lobby', from: 'maggie', text: 'hi' });
      const leaked: unknown[] = [];
      maggie.on('said', (data) => leaked.push(data));
      expect(await bart.emitWithAck('say', { room: 'elsewhere', text: 'psst' })).toEqual({ error: 'not_joined' });
      await maggie.emitWithAck('whoami'); // a round trip after which a broadcast would have arrived
      expect(leaked).toEqual([]);
    });

    it('refreshes in band through the auth acknowledgement; another sub gets auth_closed 4403 then io server disconnect', async () => {
      const socket = await connected(connect({ auth: { token: await login(chat) } }));
      const answer = await socket.emitWithAck('auth', { token: await login(chat) });
      expect(answer).toEqual({ sub: 'maggie', expires_in: expect.any(Number) });
      expect(await socket.emitWithAck('whoami')).toEqual({ sub: 'maggie', source: 'auth' });
      const closed = closedByServer(socket);
      socket.emit('auth', { token: await login(chat, 'bart', 'eatmyshorts') });
      expect(await closed).toMatchObject({ code: 4403, disconnect: 'io server disconnect' });
    });

    it('a bad refresh token gets auth_closed 4401', async () => {
      const socket = await connected(connect({ auth: { token: await login(chat) } }));
      const closed = closedByServer(socket);
      socket.emit('auth', { token: 'not-a-jwt' });
      expect(await closed).toMatchObject({ code: 4401, disconnect: 'io server disconnect' });
    });

    it('hints auth_expiring, then ends the socket at exp with auth_closed 4401', async () => {
      const exp = Math.floor(Date.now() / 1000) + 3;
      const socket = await connected(connect({ auth: { token: signHs(ownClaims({ exp, sid: `expiry-${transports.length}` }), TEST_SECRET) } }));
      const hint = new Promise<{ expires_in: number }>((resolve) => socket.once('auth_expiring', resolve));
      const closed = closedByServer(socket);
      expect((await hint).expires_in).toBeLessThanOrEqual(3);
      const { code, at } = await closed;
      expect(code).toBe(4401);
      expect(at).toBeGreaterThanOrEqual(exp * 1000 - 50);
      expect(at).toBeLessThan(exp * 1000 + 1000 + 500); // contract: within 1 s of exp (plus the client's own delivery)
    });

    it('logout ends the socket with auth_closed 4403 within 1 s', async () => {
      const token = await login(chat);
      const socket = await connected(connect({ auth: { token } }));
      const closed = closedByServer(socket);
      const started = Date.now();
      await request(chat.http).post('/auth/logout').set('Authorization', `Bearer ${token}`).expect(204);
      const { code, at } = await closed;
      expect(code).toBe(4403);
      expect(at - started).toBeLessThan(1000);
    });
  });

  it('never logs a credential', () => {
    const text = chat.logs.lines.join('\n');
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT
    expect(text).not.toMatch(/ticket=/);
  });
});

describe('Socket.IO transport while Redis is unreachable', () => {
  let chat: RunningChatApp;

  beforeAll(async () => {
    chat = await startChatApp({ WS_TRANSPORT: 'socket.io', REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  });
  afterAll(() => chat.close());

  it('answers a handshake that needs Redis with connect_error unavailable', async () => {
    const token = signHs(ownClaims(), TEST_SECRET);
    const error = await refused(ioSocket(chat.http, { transports: ['websocket'], auth: { token } }));
    expect(error.message).toBe('unavailable');
    expect(error.data).toEqual({ code: 'unavailable' });
  });
});
