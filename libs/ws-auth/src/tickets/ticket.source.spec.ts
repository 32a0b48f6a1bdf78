import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import type { GatewayPolicyExplorer, GuardedGateway } from '../gateways/gateway-policy.explorer.js';
import type { WsAuthModuleOptions, WsAuthPolicy } from '../interfaces/ws-auth-options.interface.js';
import { authenticateHandshake, handshakePipeline } from '../../../../test/support/handshake-steps.js';
import { WsAuthError } from '../ws-auth.errors.js';
import { resolveWsAuthOptions } from '../ws-auth-options.resolver.js';
import { MemorySessionStore } from '../sessions/memory-session.store.js';
import { TicketService } from './ticket.service.js';
import { ticketSource } from './ticket.source.js';
import { settle } from '../../../../test/support/settle.js';

const verifier = { verify: async () => null };

/** The handshake pipeline of a module with these options, serving one gateway with this policy. */
function pipelineFor(options: Omit<WsAuthModuleOptions, 'verifiers'>, policy: WsAuthPolicy = {}) {
  const full = { verifiers: [verifier], ...options };
  const gateway: GuardedGateway = { name: 'ChatGateway', port: 0, path: '/chat', policy, explicit: true };
  const explorer = { find: () => gateway, guardedGateways: () => [gateway] } as unknown as GatewayPolicyExplorer;
  const tickets = new TicketService(resolveWsAuthOptions(full));
  return { pipeline: handshakePipeline(full, new MemorySessionStore(), explorer, tickets), tickets };
}

const upgrade = (url: string, origin?: string) =>
  ({ url, headers: origin ? { origin } : {}, rawHeaders: origin ? ['Origin', origin] : [] }) as unknown as IncomingMessage;

const sourceNames = (options: Omit<WsAuthModuleOptions, 'verifiers'>, policy?: WsAuthPolicy) =>
  pipelineFor(options, policy).pipeline.policyFor(0, '/chat')!.sources.map((source) => source.name);

describe('the ticket source', () => {
  it('is a default source once tickets are configured', () => {
    expect(sourceNames({})).toEqual(['header', 'protocol']);
    expect(sourceNames({ tickets: {} })).toEqual(['ticket', 'header', 'protocol']);
  });

  it("is resolved from the name 'ticket' in a gateway policy, tickets configured or not", () => {
    expect(sourceNames({}, { sources: ['ticket', 'header'] })).toEqual(['ticket', 'header']);
  });

  it('reads ?ticket= and refuses it repeated', () => {
    const source = ticketSource(new TicketService(resolveWsAuthOptions({ verifiers: [verifier] })));
    expect(source.extract(upgrade('/chat?ticket=abc'))).toBe('abc');
    expect(source.extract(upgrade('/chat'))).toBeNull();
    let thrown: unknown;
    try {
      source.extract(upgrade('/chat?ticket=a&ticket=b'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WsAuthError);
    expect((thrown as WsAuthError).code).toBe('invalid_request');
  });

  it('authenticates a handshake with a ticket as source "ticket", once', async () => {
    const { pipeline, tickets } = pipelineFor({ tickets: {} });
    const policy = pipeline.policyFor(0, '/chat')!;
    const expiresAt = Date.now() + 60_000;
    const { ticket } = await tickets.issue({ principal: { sub: 'maggie' }, subject: 'maggie', sessionId: 's1', scopes: [], expiresAt });
    const request = upgrade(`/chat?ticket=${ticket}`);
    await expect(settle(() => authenticateHandshake(pipeline, request, policy))).resolves.toEqual({
      principal: { sub: 'maggie' },
      subject: 'maggie',
      sessionId: 's1',
      scopes: [],
      expiresAt,
      issuedAt: undefined,
      source: 'ticket',
    });
    await expect(settle(() => authenticateHandshake(pipeline, request, policy))).rejects.toBeInstanceOf(WsAuthError);
  });

  it('decides a ticket handshake at once with the memory store: no promise, no timer', async () => {
    const { pipeline, tickets } = pipelineFor({ tickets: {} });
    const policy = pipeline.policyFor(0, '/chat')!;
    const { ticket } = await tickets.issue({ principal: { sub: 'maggie' }, subject: 'maggie', scopes: [], expiresAt: Date.now() + 60_000 });
    const decided = authenticateHandshake(pipeline, upgrade(`/chat?ticket=${ticket}`), policy);
    expect(decided).not.toBeInstanceOf(Promise);
    expect(decided).toMatchObject({ subject: 'maggie', source: 'ticket' });
  });
});
