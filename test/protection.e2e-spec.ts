import { Injectable, UseGuards, type ExecutionContext, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ConnectedSocket, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  getWsAuth,
  JwtVerifier,
  WsAuth,
  WsAuthConfigurationError,
  WsAuthGuard,
  WsPublic,
  type WsAuthInfo,
} from 'nestjs-ws-auth';
import type { WebSocket } from 'ws';
import { createTestApp, startTestApp, type TestAppOptions } from './support/guarded-test-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, connect, rawUpgrade } from './support/ws-client.js';

const SECRET = 'protection-test-secret-0123456789abcdef';
const auth = { verifiers: [new JwtVerifier({ secret: SECRET })] };
const jwt = () => signHs(ownClaims(), SECRET);

/** What handleConnection saw, by gateway: proof of what reached a gateway. */
const seen: Array<{ gateway: string; subject: string | undefined }> = [];
const recordConnection = (gateway: string) =>
  function (this: unknown, client: WebSocket) {
    seen.push({ gateway, subject: getWsAuth(client)?.subject });
  };

/** The README's extension point: a subclass with its own hooks. */
@Injectable()
class LenientScopesGuard extends WsAuthGuard {
  protected override hasScopes(): boolean {
    return true;
  }
  protected override getAuth(context: ExecutionContext): WsAuthInfo | undefined {
    return super.getAuth(context);
  }
}

@WebSocketGateway({ path: '/unmarked' })
class UnmarkedGateway {
  handleConnection = recordConnection('unmarked');
  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() client: WebSocket) {
    return { event: 'whoami', data: { sub: getWsAuth(client)?.subject ?? null } };
  }
}

@UseGuards(LenientScopesGuard)
@WebSocketGateway({ path: '/subclass' })
class SubclassGuardedGateway {
  handleConnection = recordConnection('subclass');
  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() client: WebSocket) {
    return { event: 'whoami', data: { sub: getWsAuth(client)?.subject } };
  }
}

@WebSocketGateway({ path: '/handlers-only' })
class HandlerGuardedGateway {
  handleConnection = recordConnection('handlers-only');
  @UseGuards(WsAuthGuard)
  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() client: WebSocket) {
    return { event: 'whoami', data: { sub: getWsAuth(client)?.subject } };
  }
}

@WsAuth()
@WebSocketGateway({ path: '/marked' })
class MarkedGateway {
  handleConnection = recordConnection('marked');
  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() client: WebSocket) {
    return { event: 'whoami', data: { sub: getWsAuth(client)?.subject } };
  }
}

@WsPublic()
@WebSocketGateway({ path: '/open' })
class OpenGateway {
  handleConnection = recordConnection('open');
}

/** CONTRACT-level promise of the library: a gateway served by WsAuthAdapter is authenticated unless @WsPublic(). */
describe('protection is the default: no setup serves an unauthenticated socket by mistake', () => {
  let server: Awaited<ReturnType<typeof startTestApp>>;

  beforeAll(async () => {
    server = await startTestApp({
      auth,
      gateways: [UnmarkedGateway, SubclassGuardedGateway, HandlerGuardedGateway, MarkedGateway, OpenGateway],
    });
  });
  afterAll(() => server?.close());
  beforeEach(() => seen.splice(0));

  it.each(['/unmarked', '/subclass', '/handlers-only', '/marked'])('refuses %s without a credential before the 101', async (path) => {
    const answer = await rawUpgrade(`${server.ws}${path}`);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
    expect(seen).toEqual([]);
  });

  it.each([
    ['/unmarked', 'unmarked'],
    ['/subclass', 'subclass'],
    ['/handlers-only', 'handlers-only'],
    ['/marked', 'marked'],
  ])('accepts %s with a credential, authenticated already in handleConnection', async (path, gateway) => {
    const socket = await connect(`${server.ws}${path}`, { headers: { Authorization: `Bearer ${jwt()}` } });
    await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie' } });
    socket.close();
    expect(seen).toEqual([{ gateway, subject: 'maggie' }]);
  });

  it('serves a @WsPublic() gateway without a credential', async () => {
    const answer = await rawUpgrade(`${server.ws}/open`);
    expect(answer.status).toBe(101);
  });
});

describe('setups that cannot be served safely stop the bootstrap', () => {
  const bootstrapError = async (options: TestAppOptions): Promise<unknown> => {
    const { app } = await createTestApp({ auth, ...options });
    try {
      await app.init();
    } catch (error) {
      return error;
    } finally {
      await app.close().catch(() => undefined);
    }
    throw new Error('the app started');
  };

  it.each<[string, Type]>([
    ['WsAuthGuard', WsAuthGuard],
    ['a WsAuthGuard subclass', LenientScopesGuard],
  ])('refuses %s registered as APP_GUARD', async (_, guard) => {
    const error = await bootstrapError({ gateways: [MarkedGateway], providers: [{ provide: APP_GUARD, useClass: guard }] });
    expect(error).toBeInstanceOf(WsAuthConfigurationError);
    expect((error as Error).message).toMatch(new RegExp(`${guard.name} is registered as APP_GUARD.*Remove it from APP_GUARD`));
  });

  it('refuses WsAuthGuard registered as APP_GUARD through useExisting', async () => {
    const error = await bootstrapError({
      gateways: [MarkedGateway],
      providers: [LenientScopesGuard, { provide: APP_GUARD, useExisting: LenientScopesGuard }],
    });
    expect(error).toBeInstanceOf(WsAuthConfigurationError);
  });

  it('refuses WsAuthGuard on the handlers of a @WsPublic() gateway', async () => {
    @WsPublic()
    @WebSocketGateway({ path: '/public-with-guarded-handler' })
    class PublicGuardedHandler {
      @UseGuards(LenientScopesGuard)
      @SubscribeMessage('whoami')
      whoami() {
        return null;
      }
    }
    const error = await bootstrapError({ gateways: [PublicGuardedHandler] });
    expect(error).toBeInstanceOf(WsAuthConfigurationError);
    expect((error as Error).message).toMatch(/PublicGuardedHandler is @WsPublic\(\), but WsAuthGuard \(or a subclass\) guards PublicGuardedHandler\.whoami\(\)/);
  });

  it('refuses WsAuthGuard on the class of a @WsPublic() gateway', async () => {
    @WsPublic()
    @UseGuards(WsAuthGuard)
    @WebSocketGateway({ path: '/public-guarded' })
    class PublicGuardedClass {}
    const error = await bootstrapError({ gateways: [PublicGuardedClass] });
    expect((error as Error).message).toMatch(/PublicGuardedClass is @WsPublic\(\), but WsAuthGuard \(or a subclass\) guards PublicGuardedClass\./);
  });

  it('refuses @WsPublic() together with @WsAuth()', async () => {
    @WsPublic()
    @WsAuth({ sources: ['header'] })
    @WebSocketGateway({ path: '/both' })
    class BothGateway {}
    const error = await bootstrapError({ gateways: [BothGateway] });
    expect(error).toBeInstanceOf(WsAuthConfigurationError);
    expect((error as Error).message).toMatch(/BothGateway has both @WsPublic\(\) and @WsAuth\(\)/);
  });

  it('refuses two gateways on one path, one public and one not', async () => {
    @WsPublic()
    @WebSocketGateway({ path: '/shared' })
    class PublicShared {}
    @WebSocketGateway({ path: 'shared/' })
    class ProtectedShared {}
    const error = await bootstrapError({ gateways: [PublicShared, ProtectedShared] });
    expect(error).toBeInstanceOf(WsAuthConfigurationError);
    expect((error as Error).message).toMatch(/PublicShared and ProtectedShared share \/shared, but PublicShared is @WsPublic\(\) and ProtectedShared is not/);
  });

  it('refuses two gateways on one path with different policies', async () => {
    @WsAuth({ sources: ['header'] })
    @WebSocketGateway({ path: '/shared' })
    class HeaderShared {}
    @WsAuth({ sources: ['protocol'] })
    @WebSocketGateway({ path: '/shared' })
    class ProtocolShared {}
    const error = await bootstrapError({ gateways: [HeaderShared, ProtocolShared] });
    expect((error as Error).message).toMatch(/HeaderShared and ProtocolShared share \/shared with different @WsAuth\(\) policies/);
  });

  it('starts two gateways on one path with the same policy', async () => {
    @WsAuth({ sources: ['header'] })
    @WebSocketGateway({ path: '/shared' })
    class FirstShared {}
    @WsAuth({ sources: ['header'] })
    @WebSocketGateway({ path: '/shared' })
    class SecondShared {}
    const { app } = await createTestApp({ auth, gateways: [FirstShared, SecondShared] });
    await expect(app.init()).resolves.toBe(app);
    await app.close();
  });

  it.each<[string, Type]>([
    ['@WsAuth()', MarkedGateway],
    ['a WsAuthGuard subclass', SubclassGuardedGateway],
    ['WsAuthGuard on handlers only', HandlerGuardedGateway],
  ])('refuses a gateway protected with %s served by a plain WsAdapter', async (_, gateway) => {
    const error = await bootstrapError({ adapter: 'plain', gateways: [gateway] });
    expect(error).toBeInstanceOf(WsAuthConfigurationError);
    expect((error as Error).message).toMatch(new RegExp(`${gateway.name} is authenticated with @WsAuth\\(\\) or WsAuthGuard, but the app's WebSocket adapter is not WsAuthAdapter`));
  });
});
