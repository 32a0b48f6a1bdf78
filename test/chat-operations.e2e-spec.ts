import request from 'supertest';
import type WebSocket from 'ws';
import { loadChatConfig } from '../apps/chat/src/chat.config.js';
import { startChatApp, type RunningChatApp } from './support/chat-app.js';
import { eventually } from './support/eventually.js';
import { parsePrometheusText, sampleValue, type PrometheusSample } from './support/prometheus-text.js';
import { closed, connect, rawUpgrade } from './support/ws-client.js';

/** CONTRACT.md: `MAX_SOCKETS_PER_USER` and `GET /metrics`. */
describe('chat app: per-user socket limit and /metrics', () => {
  let chat: RunningChatApp;
  const running: RunningChatApp[] = [];
  const start = async (env?: Record<string, string>) => {
    chat = await startChatApp(env);
    running.push(chat);
  };
  /** Every credential the tests send, so the metrics can be searched for each. */
  const sent: string[] = [];
  const open: WebSocket[] = [];

  const login = async (username: string, password: string) => {
    const res = await request(chat.http).post('/auth/login').send({ username, password }).expect(200);
    sent.push(res.body.access_token);
    return res.body.access_token as string;
  };
  const ticketFor = async (token: string) => {
    const res = await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`).expect(200);
    sent.push(res.body.ticket);
    return res.body.ticket as string;
  };
  const hold = async (token: string) => {
    const socket = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
    open.push(socket);
    return socket;
  };
  const attempt = (token: string) => rawUpgrade(`${chat.ws}/chat`, [['Authorization', `Bearer ${token}`]]);
  const shut = async (socket: WebSocket) => {
    if (socket.readyState !== socket.CLOSED) {
      const done = closed(socket);
      socket.close();
      await done;
    }
  };
  const scrape = async (): Promise<{ text: string; samples: PrometheusSample[] }> => {
    const res = await request(chat.http).get('/metrics').expect(200);
    return { text: res.text, samples: parsePrometheusText(res.text) };
  };
  const change = (before: PrometheusSample[], after: PrometheusSample[], name: string, labels: Record<string, string>) =>
    sampleValue(after, name, labels) - sampleValue(before, name, labels);

  afterEach(async () => {
    await Promise.all(open.splice(0).map(shut));
    await Promise.all(running.splice(0).map((app) => app.close()));
  });

  it('defaults MAX_SOCKETS_PER_USER to 20', async () => {
    expect(loadChatConfig({}).maxSocketsPerUser).toBe(20);
    await start();
    const token = await login('maggie', 'secret');
    for (let i = 0; i < 20; i += 1) {
      await hold(token);
    }
    expect((await attempt(token)).status).toBe(429);
  });

  it('refuses a user past MAX_SOCKETS_PER_USER with 429 and Retry-After; another user is unaffected; a closed socket frees a slot', async () => {
    await start({ MAX_SOCKETS_PER_USER: '2' });
    const maggie = await login('maggie', 'secret');
    const bart = await login('bart', 'eatmyshorts');
    const first = await hold(maggie);
    await hold(maggie);
    const refused = await attempt(maggie);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another login of the same user is the same sub: refused too.
    expect((await attempt(await login('maggie', 'secret'))).status).toBe(429);
    await hold(bart);
    await hold(bart);

    await shut(first);
    await eventually(() => hold(maggie), 5000, 20);
    expect((await attempt(maggie)).status).toBe(429);
  });

  it('refuses MAX_SOCKETS_PER_USER that is not a whole number of at least 1', () => {
    expect(() => loadChatConfig({ MAX_SOCKETS_PER_USER: '0' })).toThrow(/MAX_SOCKETS_PER_USER/);
  });

  it('GET /metrics counts a run of accepted, refused and closed sockets exactly, with no subject or credential in a label', async () => {
    await start({ MAX_SOCKETS_PER_USER: '2' });
    const res = await request(chat.http).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const before = (await scrape()).samples;

    const maggie = await login('maggie', 'secret');
    const bart = await login('bart', 'eatmyshorts');
    const ticketSocket = await connect(`${chat.ws}/chat?ticket=${await ticketFor(maggie)}`);
    open.push(ticketSocket);
    await hold(maggie);
    const bartSocket = await hold(bart);
    expect((await attempt(maggie)).status).toBe(429);
    expect((await rawUpgrade(`${chat.ws}/chat?ticket=${encodeURIComponent('not-a-ticket-at-all')}`)).status).toBe(401);
    expect((await rawUpgrade(`${chat.ws}/chat`)).status).toBe(401);
    // A logout closes bart's socket with 4403; maggie closes hers.
    const revoked = closed(bartSocket);
    await request(chat.http).post('/auth/logout').set('Authorization', `Bearer ${bart}`).expect(204);
    expect((await revoked).code).toBe(4403);
    await Promise.all(open.splice(0).map(shut));

    const { text, samples: after } = await eventually(async () => {
      const scraped = await scrape();
      expect(change(before, scraped.samples, 'ws_auth_open_sockets', { gateway: '/chat' })).toBe(0);
      return scraped;
    }, 5000, 20);
    const handshakes = (outcome: string, code: string) => change(before, after, 'ws_auth_handshakes_total', { gateway: '/chat', outcome, code });
    expect(handshakes('accepted', 'none')).toBe(3);
    expect(handshakes('refused', 'too_many_connections')).toBe(1);
    expect(handshakes('refused', 'invalid_token')).toBe(1);
    expect(handshakes('refused', 'missing_credential')).toBe(1);
    expect(change(before, after, 'ws_auth_closes_total', { gateway: '/chat', reason: 'revoked' })).toBe(1);
    expect(change(before, after, 'ws_auth_revocations_published_total', { type: 'revoke-session' })).toBe(1);

    // The gateway label is the configured path, never the request URL (which held a ticket).
    const gateways = new Set(after.flatMap((sample) => (sample.labels.gateway === undefined ? [] : [sample.labels.gateway])));
    expect([...gateways].filter((gateway) => gateway !== '/chat' && gateway !== '/feed')).toEqual([]);
    expect(gateways.has('/chat')).toBe(true);
    for (const secret of ['maggie', 'bart', ...sent]) {
      expect(text).not.toContain(secret);
    }
  });
});
