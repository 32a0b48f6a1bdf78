import { WebSocketGateway } from '@nestjs/websockets';
import { JwtVerifier, WsAuth, WsSessionService } from 'nestjs-ws-auth';
import { Registry } from 'prom-client';
import type WebSocket from 'ws';
import { eventually } from './support/eventually.js';
import { SecureGateway, startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { parsePrometheusText, sampleValue, type PrometheusSample } from './support/prometheus-text.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, closed, connect, rawUpgrade } from './support/ws-client.js';

const SECRET = 'metrics-test-secret-0123456789abcdef';
const token = (sub: string, sid: string) => signHs(ownClaims({ sub, sid }), SECRET);

@WsAuth({ sources: ['header'], firstMessage: { timeoutMs: 300 } })
@WebSocketGateway({ path: '/pending' })
class PendingGateway {}

/** Issue 17: the metrics count exactly what the library decided, and no label names a user or holds a credential. */
describe('Prometheus metrics', () => {
  let server: RunningTestApp;
  const registry = new Registry();
  const scrape = async (): Promise<PrometheusSample[]> => parsePrometheusText(await registry.metrics());
  /** What changed in each series between two scrapes, zeros left out. */
  const delta = (before: PrometheusSample[], after: PrometheusSample[], name: string) =>
    Object.fromEntries(
      after
        .filter((sample) => sample.name === name)
        .map((sample) => [JSON.stringify(sample.labels), sample.value - sampleValue(before, name, sample.labels)])
        .filter(([, change]) => change !== 0),
    );
  const credentials: string[] = [];
  const subjects = ['maggie', 'bart'];
  const sessions = ['maggie-s1', 'maggie-s2', 'bart-s1'];

  beforeAll(async () => {
    server = await startTestApp({
      gateways: [SecureGateway, PendingGateway],
      auth: { verifiers: [new JwtVerifier({ secret: SECRET })], maxSocketsPerSubject: 2, metrics: { registry } },
    });
  });
  afterAll(() => server?.close());

  it('counts a run of accepted, refused, pending and closed sockets exactly', async () => {
    const before = await scrape();
    const open: WebSocket[] = [];
    const bearer = (sub: string, sid: string) => {
      const value = token(sub, sid);
      credentials.push(value);
      return { headers: { Authorization: `Bearer ${value}` } };
    };

    // 3 accepted on /secure, then one past maggie's limit of 2.
    open.push(await connect(`${server.ws}/secure`, bearer('maggie', 'maggie-s1')));
    open.push(await connect(`${server.ws}/secure`, bearer('maggie', 'maggie-s2')));
    open.push(await connect(`${server.ws}/secure`, bearer('bart', 'bart-s1')));
    const tooMany = token('maggie', 'maggie-s1');
    credentials.push(tooMany);
    expect((await rawUpgrade(`${server.ws}/secure`, [['Authorization', `Bearer ${tooMany}`]])).status).toBe(429);
    // Refused: a forged token, two credentials, none.
    const forged = signHs(ownClaims(), 'another-secret-another-secret-another');
    credentials.push(forged);
    expect((await rawUpgrade(`${server.ws}/secure`, [['Authorization', `Bearer ${forged}`]])).status).toBe(401);
    expect((await rawUpgrade(`${server.ws}/secure`, [['Authorization', 'Bearer a.b.c'], ['Authorization', 'Bearer a.b.c']])).status).toBe(400);
    expect((await rawUpgrade(`${server.ws}/secure`)).status).toBe(401);
    // Two pending sockets on /pending: one authenticates (bart's second socket), one times out (4408).
    const pending = await connect(`${server.ws}/pending`);
    const late = await connect(`${server.ws}/pending`);
    const bartToken = token('bart', 'bart-s1');
    credentials.push(bartToken);
    expect((await ask(pending, 'auth', { token: bartToken })).event).toBe('auth');
    open.push(pending);
    expect((await closed(late)).code).toBe(4408);

    // The timed-out socket leaves the pending gauge when the server's side of it closes.
    await eventually(async () => {
      const middle = await scrape();
      expect(delta(before, middle, 'ws_auth_open_sockets')).toEqual({ '{"gateway":"/secure"}': 3, '{"gateway":"/pending"}': 1 });
      expect(delta(before, middle, 'ws_auth_pending_sockets')).toEqual({});
    }, 5000, 20);

    // A revoked session closes its socket (4403); the client closes the rest itself.
    const revoked = closed(open[0]);
    await server.app.get(WsSessionService).revokeSession('maggie-s1', Date.now() + 60_000);
    expect((await revoked).code).toBe(4403);
    await Promise.all(open.slice(1).map(async (socket) => {
      const done = closed(socket);
      socket.close();
      await done;
    }));
    // The server sees each close when its side of the connection ends.
    const after = await eventually(async () => {
      const samples = await scrape();
      expect(delta(before, samples, 'ws_auth_open_sockets')).toEqual({});
      return samples;
    }, 5000, 20);

    expect(delta(before, after, 'ws_auth_handshakes_total')).toEqual({
      '{"gateway":"/secure","outcome":"accepted","code":"none"}': 3,
      '{"gateway":"/secure","outcome":"refused","code":"too_many_connections"}': 1,
      '{"gateway":"/secure","outcome":"refused","code":"invalid_token"}': 1,
      '{"gateway":"/secure","outcome":"refused","code":"invalid_request"}': 1,
      '{"gateway":"/secure","outcome":"refused","code":"missing_credential"}': 1,
      '{"gateway":"/pending","outcome":"pending","code":"none"}': 2,
    });
    expect(delta(before, after, 'ws_auth_closes_total')).toEqual({
      '{"gateway":"/pending","reason":"auth_timeout"}': 1,
      '{"gateway":"/secure","reason":"revoked"}': 1,
    });
    expect(delta(before, after, 'ws_auth_pending_sockets')).toEqual({});
    expect(delta(before, after, 'ws_auth_revocations_published_total')).toEqual({ '{"type":"revoke-session"}': 1 });
    expect(delta(before, after, 'ws_auth_revocations_received_total')).toEqual({ '{"type":"revoke-session"}': 1 });
    // Every handshake decided before its 101 was timed, once.
    expect(delta(before, after, 'ws_auth_handshake_duration_seconds_count')).toEqual({
      '{"gateway":"/secure","outcome":"accepted"}': 3,
      '{"gateway":"/secure","outcome":"refused"}': 4,
      '{"gateway":"/pending","outcome":"pending"}': 2,
    });
  });

  it('never puts a subject, a session or a credential in a label', async () => {
    const text = await registry.metrics();
    const values = parsePrometheusText(text).flatMap((sample) => Object.values(sample.labels));
    expect(values.length).toBeGreaterThan(10);
    for (const secret of [...subjects, ...sessions, ...credentials, ...credentials.map((value) => value.split('.')[1])]) {
      expect(values.filter((value) => value.includes(secret))).toEqual([]);
      expect(text).not.toContain(secret);
    }
    const labelNames = new Set(parsePrometheusText(text).flatMap((sample) => Object.keys(sample.labels)));
    expect([...labelNames].sort()).toEqual(['code', 'gateway', 'le', 'outcome', 'reason', 'type']);
  });
});
