import request from 'supertest';
import WebSocket from 'ws';
import { startChatApp, TEST_SECRET, type RunningChatApp } from './support/chat-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, closed, connect, exchange, nextMessage, rawUpgrade } from './support/ws-client.js';

const login = async (chat: RunningChatApp, username = 'maggie', password = 'secret'): Promise<string> =>
  (await request(chat.http).post('/auth/login').send({ username, password }).expect(200)).body.access_token;

const expOf = (token: string): number => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp;

/** Made once, before any socket opens: building it is no part of the race with the auth deadline. */
const TEN_MB = 'x'.repeat(10 * 1024 * 1024);

/** CONTRACT.md: /feed first-message authentication and its close codes. */
describe('/feed: first-message authentication', () => {
  let chat: RunningChatApp;
  let token: string;

  beforeAll(async () => {
    // Long enough that a loaded machine still delivers a frame before the
    // deadline (the 10 MB one is built and masked by this process first),
    // short enough that the deadline case stays quick.
    chat = await startChatApp({ AUTH_TIMEOUT_MS: '1500' });
    token = await login(chat);
  });
  afterAll(() => chat?.close());

  it('authenticates a pending socket by its auth frame, with source "message"', async () => {
    const socket = await connect(`${chat.ws}/feed`);
    const reply = await ask(socket, 'auth', { token });
    expect(reply).toEqual({ event: 'auth', data: { sub: 'maggie', expires_in: expect.any(Number) } });
    expect(reply.data.expires_in).toBeGreaterThan(890);
    expect(reply.data.expires_in).toBeLessThanOrEqual(900);
    await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'message' } });
    socket.close();
  });

  it('still accepts a credential at the handshake', async () => {
    const socket = await connect(`${chat.ws}/feed`, { protocols: ['access_token', token] });
    await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'protocol' } });
    socket.close();
  });

  it('refuses a credential that is present but bad at the handshake', async () => {
    const answer = await rawUpgrade(`${chat.ws}/feed`, [['Authorization', `Bearer ${signHs(ownClaims(), 'wrong-secret-wrong-secret-wrong-secret')}`]]);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('keeps /chat closed to a handshake without a credential', async () => {
    expect((await rawUpgrade(`${chat.ws}/chat`)).status).toBe(401);
  });

  it.each<[string, (socket: WebSocket) => void, number]>([
    ['another event first', (socket) => socket.send(JSON.stringify({ event: 'whoami' })), 4401],
    ['a frame that is not JSON', (socket) => socket.send('hello'), 4401],
    ['a binary frame', (socket) => socket.send(Buffer.from(JSON.stringify({ event: 'auth', data: { token: 'x' } }))), 4401],
    ['an auth event without a token', (socket) => socket.send(JSON.stringify({ event: 'auth', data: {} })), 4401],
    ['an auth event with a bad token', (socket) => socket.send(JSON.stringify({ event: 'auth', data: { token: 'not-a-token' } })), 4401],
    ['a frame over 16 KiB', (socket) => socket.send(JSON.stringify({ event: 'auth', data: { token: 'x'.repeat(17 * 1024) } })), 1009],
    ['a 10 MB frame', (socket) => socket.send(TEN_MB), 1009],
    ['nothing within AUTH_TIMEOUT_MS', () => undefined, 4408],
  ])('closes a pending socket that sends %s', async (_, act, code) => {
    const socket = await connect(`${chat.ws}/feed`);
    const closing = closed(socket);
    act(socket);
    await expect(closing).resolves.toMatchObject({ code });
  });

  it('closes a pending socket that sends a second frame while its auth is judged', async () => {
    const socket = await connect(`${chat.ws}/feed`);
    const closing = closed(socket);
    socket.send(JSON.stringify({ event: 'auth', data: { token } }));
    socket.send(JSON.stringify({ event: 'whoami' }));
    await expect(closing).resolves.toMatchObject({ code: 4401 });
  });

  it('kept serving others through all of the above', async () => {
    const socket = await connect(`${chat.ws}/feed`);
    await expect(ask(socket, 'auth', { token })).resolves.toMatchObject({ event: 'auth' });
    socket.close();
    chat.logs.assertNoneContain(token, TEST_SECRET);
  });
});

/** CONTRACT.md: expiry (4401 between exp and exp + 1 s), the auth_expiring hint, in-band refresh. */
describe('expiry and in-band refresh', () => {
  let chat: RunningChatApp;

  beforeAll(async () => {
    chat = await startChatApp({ ACCESS_TOKEN_TTL: '2' });
  });
  afterAll(() => chat?.close());

  it('hints auth_expiring, then closes with 4401 between exp and exp + 1 s', async () => {
    const token = await login(chat);
    const socket = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
    const hint = await nextMessage(socket, 3000);
    expect(hint).toEqual({ event: 'auth_expiring', data: { expires_in: expect.any(Number) } });
    expect(hint.data.expires_in).toBeLessThanOrEqual(2);
    const { code } = await closed(socket, 4000);
    const closedAt = Date.now();
    expect(code).toBe(4401);
    expect(closedAt).toBeGreaterThanOrEqual(expOf(token) * 1000);
    expect(closedAt).toBeLessThanOrEqual(expOf(token) * 1000 + 1000);
  });

  it('moves the deadline and the session on an auth event with a fresh token of the same subject, keeping the source', async () => {
    const now = Math.floor(Date.now() / 1000);
    const first = signHs(ownClaims({ sid: 'first-login', exp: now + 2 }), TEST_SECRET);
    const second = signHs(ownClaims({ sid: 'second-login', exp: now + 8 }), TEST_SECRET);
    const socket = await connect(`${chat.ws}/chat`, { protocols: ['access_token', first] });
    let closeCode: number | undefined;
    socket.on('close', (code) => (closeCode = code));
    await expect(exchange(socket, 'auth', { token: second })).resolves.toEqual({
      event: 'auth',
      data: { sub: 'maggie', expires_in: expect.any(Number) },
    });
    // Past the first token's exp and the close window after it, the socket still answers.
    await new Promise((resolve) => setTimeout(resolve, (now + 2) * 1000 + 1200 - Date.now()));
    expect(closeCode).toBeUndefined();
    await expect(exchange(socket, 'whoami', undefined)).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'protocol' } });
    socket.close();
  });

  it('closes with 4403 on an auth event for another subject', async () => {
    const socket = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${await login(chat)}` } });
    const closing = closed(socket);
    socket.send(JSON.stringify({ event: 'auth', data: { token: await login(chat, 'bart', 'eatmyshorts') } }));
    await expect(closing).resolves.toMatchObject({ code: 4403 });
  });

  it('closes with 4401 on an auth event with a bad token', async () => {
    const socket = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${await login(chat)}` } });
    const closing = closed(socket);
    socket.send(JSON.stringify({ event: 'auth', data: { token: signHs(ownClaims(), 'wrong-secret-wrong-secret-wrong-secret') } }));
    await expect(closing).resolves.toMatchObject({ code: 4401 });
  });
});
