import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import { WsScopes } from './decorators/ws-scopes.decorator.js';
import type { WsAuthInfo } from './interfaces/ws-auth-info.interface.js';
import { WsAuthGuard } from './ws-auth.guard.js';
import { setWsAuth } from './ws-auth.state.js';

@WsScopes('chat:read')
class ChatGateway {
  join() {}

  @WsScopes('chat:write')
  say() {}

  @WsScopes('chat:read', 'chat:moderate')
  kick() {}
}

class OpenGateway {
  ping() {}
}

type Handler = (...args: never[]) => unknown;

/** The ExecutionContext Nest gives a guard for a message on `client`. */
function wsContext(client: object, gateway: new () => object, handler: Handler, type = 'ws'): ExecutionContext {
  return {
    getType: () => type,
    getClass: () => gateway,
    getHandler: () => handler,
    getArgs: () => [client, {}],
    getArgByIndex: (index: number) => [client, {}][index],
    switchToWs: () => ({ getClient: () => client, getData: () => ({}), getPattern: () => handler.name }),
    switchToHttp: () => {
      throw new Error('not http');
    },
    switchToRpc: () => {
      throw new Error('not rpc');
    },
  } as unknown as ExecutionContext;
}

function authenticated(overrides: Partial<WsAuthInfo> = {}): object {
  const client = {};
  setWsAuth(client, { principal: { sub: 'maggie' }, subject: 'maggie', scopes: [], source: 'header', ...overrides });
  return client;
}

function refusal(run: () => unknown): WsException {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WsException);
    return error as WsException;
  }
  throw new Error('expected a WsException, the guard let the message through');
}

describe('WsAuthGuard', () => {
  const guard = new WsAuthGuard(new Reflector());
  const { join, say, kick } = ChatGateway.prototype;

  it('refuses a socket that is not authenticated', () => {
    expect(refusal(() => guard.canActivate(wsContext({}, OpenGateway, OpenGateway.prototype.ping))).getError()).toEqual({
      status: 'error',
      message: 'Unauthorized',
    });
  });

  it('refuses a socket whose credential has expired', () => {
    const client = authenticated({ expiresAt: Date.now() - 1 });
    expect(refusal(() => guard.canActivate(wsContext(client, OpenGateway, OpenGateway.prototype.ping))).getError()).toEqual({
      status: 'error',
      message: 'Unauthorized',
    });
  });

  it('lets through a socket whose credential has not expired', () => {
    const client = authenticated({ expiresAt: Date.now() + 60_000 });
    expect(guard.canActivate(wsContext(client, OpenGateway, OpenGateway.prototype.ping))).toBe(true);
  });

  it('lets through a socket whose credential never expires when no scope is required', () => {
    expect(guard.canActivate(wsContext(authenticated(), OpenGateway, OpenGateway.prototype.ping))).toBe(true);
  });

  it('refuses a socket that lacks a required scope with error insufficient_scope', () => {
    const client = authenticated({ scopes: ['chat:write'] });
    expect(refusal(() => guard.canActivate(wsContext(client, ChatGateway, join))).getError()).toEqual({
      status: 'error',
      message: 'Forbidden',
      error: 'insufficient_scope',
    });
  });

  it('refuses a socket that holds only some of the required scopes', () => {
    const client = authenticated({ scopes: ['chat:read'] });
    expect(refusal(() => guard.canActivate(wsContext(client, ChatGateway, kick))).getError()).toMatchObject({
      error: 'insufficient_scope',
    });
  });

  it('lets through a socket that holds every required scope', () => {
    const client = authenticated({ scopes: ['chat:moderate', 'chat:read'] });
    expect(guard.canActivate(wsContext(client, ChatGateway, kick))).toBe(true);
  });

  it('applies the class-level @WsScopes to a handler without its own', () => {
    expect(guard.canActivate(wsContext(authenticated({ scopes: ['chat:read'] }), ChatGateway, join))).toBe(true);
  });

  it('lets a handler-level @WsScopes replace the class-level one', () => {
    // `say` needs chat:write alone: chat:read, required by the class, is not asked for.
    expect(guard.canActivate(wsContext(authenticated({ scopes: ['chat:write'] }), ChatGateway, say))).toBe(true);
    expect(
      refusal(() => guard.canActivate(wsContext(authenticated({ scopes: ['chat:read'] }), ChatGateway, say))).getError(),
    ).toMatchObject({ error: 'insufficient_scope' });
  });

  it('checks expiry before scopes: an expired socket is Unauthorized even with every scope', () => {
    const client = authenticated({ scopes: ['chat:read'], expiresAt: Date.now() - 1 });
    expect(refusal(() => guard.canActivate(wsContext(client, ChatGateway, join))).getError()).toMatchObject({
      message: 'Unauthorized',
    });
  });

  it('throws a plain Error outside a WebSocket context', () => {
    const run = () => guard.canActivate(wsContext(authenticated(), OpenGateway, OpenGateway.prototype.ping, 'http'));
    expect(run).toThrow(/WebSocket gateways only/);
    expect(run).not.toThrow(WsException);
  });

  it('reads the scopes of a handler inherited by two gateways from each gateway', () => {
    @WsScopes('base:read')
    class BaseGateway {
      ping() {}
    }
    @WsScopes('sub:read')
    class SubGateway extends BaseGateway {}
    const shared = BaseGateway.prototype.ping;
    const reader = authenticated({ scopes: ['base:read'] });
    expect(guard.canActivate(wsContext(reader, BaseGateway, shared))).toBe(true);
    expect(refusal(() => guard.canActivate(wsContext(reader, SubGateway, shared))).getError()).toMatchObject({
      error: 'insufficient_scope',
    });
    expect(guard.canActivate(wsContext(authenticated({ scopes: ['sub:read'] }), SubGateway, shared))).toBe(true);
  });
});
