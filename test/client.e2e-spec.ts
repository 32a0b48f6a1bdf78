import request from 'supertest';
import WebSocket from 'ws';
import {
  WsAuthClient,
  WsAuthUnauthorizedError,
  type WsAuthClientDetail,
  type WsAuthClientOptions,
  type WsAuthClientState,
} from '../libs/ws-auth-client/src/ws-auth-client.js';
import { startChatApp, type RunningChatApp } from './support/chat-app.js';

/** The client helper from Node (with `ws` as its WebSocket) against the sample app. */
describe('WsAuthClient', () => {
  let chat: RunningChatApp;
  const clients: WsAuthClient[] = [];

  const login = async (username = 'maggie', password = 'secret'): Promise<string> =>
    (await request(chat.http).post('/auth/login').send({ username, password }).expect(200)).body.access_token;
  const ticketWith = (token: () => string) => async () => {
    const res = await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token()}`);
    if (res.status === 401) {
      throw new WsAuthUnauthorizedError('Log in again');
    }
    return res.body.ticket as string;
  };

  /** A client whose state changes and frames are recorded. */
  const start = (options: Omit<WsAuthClientOptions, 'url' | 'WebSocket'>) => {
    const states: Array<[WsAuthClientState, WsAuthClientDetail]> = [];
    const frames: Array<{ event: string; data: any }> = [];
    const client = new WsAuthClient({
      url: `${chat.ws}/chat`,
      WebSocket: WebSocket as unknown as WsAuthClientOptions['WebSocket'],
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      onStateChange: (state, detail) => states.push([state, detail]),
      onMessage: (frame) => frames.push(frame),
      ...options,
    });
    clients.push(client);
    client.connect();
    return { client, states, frames };
  };
  const until = async (check: () => boolean, timeoutMs = 8000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) {
        throw new Error('condition not met in time');
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const opens = (states: Array<[WsAuthClientState, WsAuthClientDetail]>) => states.filter(([state]) => state === 'open').length;

  beforeAll(async () => {
    chat = await startChatApp({ ACCESS_TOKEN_TTL: '3' });
  });
  afterEach(() => clients.splice(0).forEach((client) => client.close()));
  afterAll(() => chat?.close());

  it('connects with a fresh ticket and exchanges frames', async () => {
    const token = await login();
    const { client, states, frames } = start({ credential: { kind: 'ticket', getTicket: ticketWith(() => token) } });
    await until(() => client.state === 'open');
    client.send('whoami');
    await until(() => frames.some((frame) => frame.event === 'whoami'));
    expect(frames.find((frame) => frame.event === 'whoami')?.data).toEqual({ sub: 'maggie', source: 'ticket' });
    expect(states[0][0]).toBe('connecting');
  });

  it('connects with the header form from Node', async () => {
    const token = await login();
    const { client, frames } = start({ credential: { kind: 'header', getToken: async () => token } });
    await until(() => client.state === 'open');
    client.send('whoami');
    await until(() => frames.some((frame) => frame.event === 'whoami'));
    expect(frames.find((frame) => frame.event === 'whoami')?.data).toEqual({ sub: 'maggie', source: 'header' });
  });

  it('refreshes in band on auth_expiring and keeps its one socket past the first exp', async () => {
    let token = await login();
    const { client, states, frames } = start({
      credential: { kind: 'protocol', getToken: async () => token },
      refreshToken: async () => (token = await login()),
    });
    await until(() => frames.some((frame) => frame.event === 'auth'), 5000);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past the first token's exp + 1 s
    expect(client.state).toBe('open');
    expect(opens(states)).toBe(1);
  }, 15_000);

  it('reconnects with a fresh credential after 4401 (expiry without refresh)', async () => {
    let logins = 0;
    // Each attempt logs in afresh, as a page would with a refresh-token flow.
    const freshTicket = async () => {
      logins++;
      const token = await login();
      return ticketWith(() => token)();
    };
    const { client, states } = start({ credential: { kind: 'ticket', getTicket: freshTicket } });
    await until(() => client.state === 'open');
    // The server closes the first socket at its token's exp (3 s); the client comes back.
    await until(() => opens(states) === 2, 6000);
    expect(logins).toBe(2);
    expect(states.some(([state, detail]) => state === 'reconnecting' && detail.code === 4401)).toBe(true);
  }, 15_000);

  it('stops for good after 4403 (logout), never reconnecting', async () => {
    const token = await login();
    const { client, states } = start({ credential: { kind: 'ticket', getTicket: ticketWith(() => token) } });
    await until(() => client.state === 'open');
    await request(chat.http).post('/auth/logout').set('Authorization', `Bearer ${token}`).expect(204);
    await until(() => client.state === 'closed');
    expect(states.at(-1)).toEqual(['closed', { code: 4403, reason: 'Session revoked' }]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(states.filter(([state]) => state === 'reconnecting')).toEqual([]);
  });

  it('reports a refused credential from the ticket endpoint clearly and stops', async () => {
    const { client, states } = start({ credential: { kind: 'ticket', getTicket: ticketWith(() => 'not.a.token') } });
    await until(() => client.state === 'closed');
    expect(states.at(-1)).toEqual(['closed', { code: 4401, reason: 'Log in again' }]);
  });
});
