import { Injectable, Module } from '@nestjs/common';
import {
  IssuerVerifier,
  JwtVerifier,
  WsAuthConfigurationError,
  WsAuthError,
  WsAuthModule,
  type WsAuthModuleOptions,
  type WsAuthOptionsFactory,
  type WsTokenVerifier,
} from 'nestjs-ws-auth';
import { connections, startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, connect, rawUpgrade } from './support/ws-client.js';

const SECRET = 'library-test-secret-0123456789abcdef';
const ORIGIN = 'https://app.example.com';

/** Opaque tokens judged by a custom verifier: `opaque.<user>` is valid, `down` cannot be judged. */
const opaqueVerifier: WsTokenVerifier = {
  async verify(token) {
    if (token === 'down') {
      throw new WsAuthError('unavailable', 'user store unreachable');
    }
    if (token === 'slow') {
      return new Promise(() => undefined); // never answers: the handshake must not wait forever
    }
    const match = /^opaque\.([a-z]+)$/.exec(token);
    return match ? { principal: { user: match[1] }, subject: match[1], scopes: match[1] === 'writer' ? ['chat:write'] : [] } : null;
  },
};

describe('the library on a small app: sources, verifiers, handshake and guard', () => {
  let server: RunningTestApp;
  const jwt = (claims: Record<string, unknown> = {}) => signHs(ownClaims(claims), SECRET);

  beforeAll(async () => {
    server = await startTestApp({
      auth: {
        allowedOrigins: [ORIGIN],
        sources: ['header', 'protocol', 'cookie', 'query'],
        verifyTimeoutMs: 200,
        verifiers: [new JwtVerifier({ secret: SECRET }), opaqueVerifier],
      },
    });
  });
  afterAll(() => server?.close());
  beforeEach(() => connections.splice(0));

  it('never lets a refused handshake reach handleConnection', async () => {
    const refused = await Promise.all([
      rawUpgrade(`${server.ws}/secure`),
      rawUpgrade(`${server.ws}/secure`, [['Authorization', 'Bearer opaque.NOPE']]),
      rawUpgrade(`${server.ws}/secure`, [['Authorization', `Bearer ${jwt({ exp: 1 })}`]]),
      rawUpgrade(`${server.ws}/secure`, [['Origin', 'https://evil.example'], ['Authorization', `Bearer ${jwt()}`]]),
      rawUpgrade(`${server.ws}/secure`, [['Authorization', 'Bearer down']]),
    ]);
    expect(refused.map((answer) => answer.status)).toEqual([401, 401, 401, 403, 503]);
    const socket = await connect(`${server.ws}/secure`, { headers: { Authorization: `Bearer ${jwt()}` } });
    await ask(socket, 'whoami');
    socket.close();
    // Only the accepted socket was seen, and it already carried its principal there.
    expect(connections).toEqual([{ subject: 'maggie', url: '/secure' }]);
  });

  it('tries the verifiers in order: a token the JWT verifier does not recognise reaches the custom one', async () => {
    const socket = await connect(`${server.ws}/secure`, { headers: { Authorization: 'Bearer opaque.lisa' } });
    await expect(ask(socket, 'whoami')).resolves.toEqual({
      event: 'whoami',
      data: { principal: { user: 'lisa' }, subject: 'lisa', source: 'header', scopes: [] },
    });
    socket.close();
  });

  it('hands @WsUser() the verified claims of a JWT', async () => {
    const socket = await connect(`${server.ws}/secure`, { protocols: ['access_token', jwt({ scope: 'chat:read chat:write' })] });
    const reply = await ask(socket, 'whoami');
    expect(reply.data).toMatchObject({ principal: { sub: 'maggie', sid: 'session-1' }, source: 'protocol', scopes: ['chat:read', 'chat:write'] });
    socket.close();
  });

  it('answers 503 with Retry-After when the verifier cannot judge the token', async () => {
    const answer = await rawUpgrade(`${server.ws}/secure`, [['Authorization', 'Bearer down']]);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.headers['www-authenticate']).toBeUndefined();
  });

  it('answers 503 when verification outlives verifyTimeoutMs, and serves others meanwhile', async () => {
    const slow = rawUpgrade(`${server.ws}/secure`, [['Authorization', 'Bearer slow']]);
    const other = await connect(`${server.ws}/secure`, { headers: { Authorization: 'Bearer opaque.bart' } });
    expect((await slow).status).toBe(503);
    other.close();
  });

  describe('cookie source', () => {
    const cookie = (): Array<[string, string]> => [['Cookie', `theme=dark; access_token=${jwt()}`]];

    it('honours the cookie with an allowed Origin', async () => {
      const socket = await connect(`${server.ws}/secure`, { origin: ORIGIN, headers: { Cookie: `access_token=${jwt()}` } });
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { source: 'cookie' } });
      socket.close();
    });

    it('ignores the cookie without an Origin (it is ambient, proving nothing)', async () => {
      const answer = await rawUpgrade(`${server.ws}/secure`, cookie());
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
    });

    it('answers 403 for the cookie from a foreign Origin (cross-site WebSocket hijacking)', async () => {
      expect((await rawUpgrade(`${server.ws}/secure`, [['Origin', 'https://evil.example'], ...cookie()])).status).toBe(403);
    });

    it('answers 400 for two same-named cookies', async () => {
      const answer = await rawUpgrade(`${server.ws}/secure`, [['Origin', ORIGIN], ['Cookie', `access_token=${jwt()}; access_token=${jwt()}`]]);
      expect(answer.status).toBe(400);
    });
  });

  describe('query source (enabled here for legacy clients)', () => {
    it('accepts ?access_token=', async () => {
      const socket = await connect(`${server.ws}/secure?access_token=${jwt()}`);
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { source: 'query' } });
      socket.close();
    });

    it('answers 400 for a repeated parameter and for a query token beside a header', async () => {
      expect((await rawUpgrade(`${server.ws}/secure?access_token=a&access_token=b`)).status).toBe(400);
      expect((await rawUpgrade(`${server.ws}/secure?access_token=${jwt()}`, [['Authorization', `Bearer ${jwt()}`]])).status).toBe(400);
    });
  });

  describe('WsAuthGuard on messages', () => {
    it('refuses a message whose @WsScopes() the token lacks, and keeps the socket open', async () => {
      const socket = await connect(`${server.ws}/secure`, { headers: { Authorization: 'Bearer opaque.reader' } });
      await expect(ask(socket, 'write')).resolves.toEqual({
        event: 'exception',
        data: { status: 'error', message: 'Forbidden', error: 'insufficient_scope' },
      });
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ event: 'whoami', data: { subject: 'reader' } });
      socket.close();
    });

    it('lets a message through when the token grants the scope', async () => {
      const socket = await connect(`${server.ws}/secure`, { headers: { Authorization: 'Bearer opaque.writer' } });
      await expect(ask(socket, 'write')).resolves.toEqual({ event: 'written', data: true });
      socket.close();
    });
  });

  it('leaves an unguarded gateway public', async () => {
    const socket = await connect(`${server.ws}/public`);
    await expect(ask(socket, 'ping')).resolves.toEqual({ event: 'pong', data: { authenticated: false } });
    socket.close();
  });

  it('logged refusals without any credential', () => {
    expect(server.logs.lines.join('\n')).toMatch(/Handshake refused on \/secure: unavailable/);
    server.logs.assertNoneContain(jwt().split('.')[2], 'opaque.NOPE', 'opaque.lisa', SECRET);
  });
});

describe('WsAuthModule.forRootAsync', () => {
  const SETTINGS = Symbol('SETTINGS');

  @Injectable()
  class Settings {
    readonly secret = SECRET;
  }

  @Module({ providers: [Settings, { provide: SETTINGS, useExisting: Settings }], exports: [SETTINGS] })
  class SettingsModule {}

  @Injectable()
  class SettingsOptionsFactory implements WsAuthOptionsFactory {
    createWsAuthOptions(): WsAuthModuleOptions {
      return { verifiers: [new JwtVerifier({ secret: SECRET })] };
    }
  }

  @Module({ providers: [SettingsOptionsFactory], exports: [SettingsOptionsFactory] })
  class FactoryModule {}

  it.each([
    ['useClass', () => WsAuthModule.forRootAsync({ useClass: SettingsOptionsFactory })],
    ['useExisting', () => WsAuthModule.forRootAsync({ imports: [FactoryModule], useExisting: SettingsOptionsFactory })],
  ])('builds the options with an options factory (%s)', async (_, authModule) => {
    const server = await startTestApp({ authModule: authModule() });
    try {
      const socket = await connect(`${server.ws}/secure`, { headers: { Authorization: `Bearer ${signHs(ownClaims(), SECRET)}` } });
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { subject: 'maggie' } });
      socket.close();
      expect((await rawUpgrade(`${server.ws}/secure`)).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('takes exactly one way to build the options', () => {
    expect(() => WsAuthModule.forRootAsync({})).toThrow(WsAuthConfigurationError);
    expect(() =>
      WsAuthModule.forRootAsync({ useClass: SettingsOptionsFactory, useFactory: () => ({ verifiers: [] }) }),
    ).toThrow(/exactly one of useFactory, useClass and useExisting/);
  });

  it('builds the options from injected providers', async () => {
    const server = await startTestApp({
      authModule: WsAuthModule.forRootAsync({
        imports: [SettingsModule],
        inject: [SETTINGS],
        useFactory: (settings: Settings) => ({ verifiers: [new JwtVerifier({ secret: settings.secret })] }),
      }),
    });
    try {
      const socket = await connect(`${server.ws}/secure`, { headers: { Authorization: `Bearer ${signHs(ownClaims(), SECRET)}` } });
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { subject: 'maggie' } });
      socket.close();
      expect((await rawUpgrade(`${server.ws}/secure`)).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});

/**
 * What a socket keeps of its upgrade request for an in-band refresh: the
 * headers without credentials while a verifier may read them, and nothing
 * at all when every verifier says it judges the token alone (`readsRequest: false`).
 */
describe('the upgrade request kept for an in-band refresh', () => {
  /** Opaque `opaque.<user>` tokens; records the headers of the request each call was handed. */
  const recordingVerifier = (readsRequest?: boolean) => {
    const seen: Array<Record<string, unknown>> = [];
    const verifier: WsTokenVerifier = {
      ...(readsRequest === undefined ? {} : { readsRequest }),
      verify(token, request) {
        seen.push({ ...request.headers });
        const match = /^opaque\.([a-z]+)$/.exec(token);
        return match ? { principal: { user: match[1] }, subject: match[1], expiresAt: Date.now() + 60_000 } : null;
      },
    };
    return { verifier, seen };
  };

  async function refreshOnce(verifiers: WsTokenVerifier[]): Promise<void> {
    const server = await startTestApp({ auth: { sources: ['header'], verifiers } });
    try {
      const socket = await connect(`${server.ws}/secure`, { headers: { Authorization: 'Bearer opaque.lisa', 'X-Trace': 'trace-1' } });
      await expect(ask(socket, 'auth', { token: 'opaque.lisa' })).resolves.toMatchObject({ event: 'auth', data: { sub: 'lisa' } });
      socket.close();
    } finally {
      await server.close();
    }
  }

  it('keeps the headers without Authorization while a verifier may read the request', async () => {
    const { verifier, seen } = recordingVerifier();
    await refreshOnce([new JwtVerifier({ secret: SECRET }), verifier]);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ authorization: 'Bearer opaque.lisa', 'x-trace': 'trace-1' });
    expect(seen[1]['x-trace']).toBe('trace-1');
    expect(seen[1]).not.toHaveProperty('authorization');
  });

  it('keeps nothing when every verifier judges the token alone, and the refresh still works', async () => {
    const { verifier, seen } = recordingVerifier(false);
    await refreshOnce([new JwtVerifier({ secret: SECRET }), verifier]);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ 'x-trace': 'trace-1' });
    expect(seen[1]).toEqual({}); // the socket kept no copy of its upgrade request
  });

  it('declares JwtVerifier and IssuerVerifier free of the request', () => {
    expect(new JwtVerifier({ secret: SECRET }).readsRequest).toBe(false);
    expect(new IssuerVerifier({ issuer: 'https://issuer.example', audience: 'chat' }).readsRequest).toBe(false);
  });
});
