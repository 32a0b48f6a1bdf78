import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { WsConnection } from '../connection/ws-connection.js';
import type { GatewayPolicyExplorer } from '../gateways/gateway-policy.explorer.js';
import type { ResolvedPolicy } from '../handshake/resolved-policy.js';
import { resolveWsAuthOptions } from '../ws-auth-options.resolver.js';
import { SubjectSocketCounter } from './subject-socket-counter.js';

const explorer = (limits: Array<number | undefined> = []) =>
  ({ guardedGateways: () => limits.map((maxSocketsPerSubject) => ({ policy: { maxSocketsPerSubject } })) }) as unknown as GatewayPolicyExplorer;
const counter = (moduleLimit?: number, gatewayLimits?: Array<number | undefined>) =>
  new SubjectSocketCounter(resolveWsAuthOptions({ verifiers: [{ verify: () => null }], maxSocketsPerSubject: moduleLimit }), explorer(gatewayLimits));
const connectionWith = (maxSocketsPerSubject: number | undefined) =>
  new WsConnection({ gateway: { path: '/chat' }, sources: [], protocols: [], maxSocketsPerSubject } as unknown as ResolvedPolicy, undefined);

describe('SubjectSocketCounter', () => {
  it('takes slots up to the connection\'s limit, per subject', () => {
    const sockets = counter(2);
    expect(sockets.take(connectionWith(2), 'maggie', new EventEmitter())).toBe(true);
    expect(sockets.take(connectionWith(2), 'maggie', new EventEmitter())).toBe(true);
    expect(sockets.take(connectionWith(2), 'maggie', new EventEmitter())).toBe(false);
    expect(sockets.take(connectionWith(2), 'bart', new EventEmitter())).toBe(true);
    expect(sockets.count('maggie')).toBe(2);
  });

  it('gives a slot back when the transport closes, once, however often it is released', () => {
    const sockets = counter(1);
    const transport = new EventEmitter();
    const connection = connectionWith(1);
    expect(sockets.take(connection, 'maggie', transport)).toBe(true);
    transport.emit('close');
    sockets.release(connection);
    expect(sockets.count('maggie')).toBe(0);
    expect(sockets.take(connectionWith(1), 'maggie', new EventEmitter())).toBe(true);
    expect(sockets.take(connectionWith(1), 'maggie', new EventEmitter())).toBe(false);
  });

  it('takes one slot per connection, even when asked twice', () => {
    const sockets = counter(2);
    const connection = connectionWith(2);
    sockets.take(connection, 'maggie', new EventEmitter());
    sockets.take(connection, 'maggie', new EventEmitter());
    expect(sockets.count('maggie')).toBe(1);
  });

  it('counts sockets of unlimited gateways once any gateway has a limit', () => {
    const sockets = counter(undefined, [undefined, 1]);
    expect(sockets.counting).toBe(true);
    sockets.take(connectionWith(undefined), 'maggie', new EventEmitter());
    expect(sockets.take(connectionWith(1), 'maggie', new EventEmitter())).toBe(false);
  });

  it('counts nothing while no limit is set anywhere', () => {
    const sockets = counter(undefined, [undefined]);
    expect(sockets.counting).toBe(false);
    expect(sockets.take(connectionWith(undefined), 'maggie', new EventEmitter())).toBe(true);
    expect(sockets.count('maggie')).toBe(0);
  });
});
