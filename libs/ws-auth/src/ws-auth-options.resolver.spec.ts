import { describe, expect, it } from '@jest/globals';
import { resolveWsAuthOptions } from './ws-auth-options.resolver.js';
import { WsAuthConfigurationError } from './ws-auth-configuration.error.js';

const verifier = { verify: () => null };

describe('resolveWsAuthOptions', () => {
  it('applies every default once', () => {
    expect(resolveWsAuthOptions({ verifiers: [verifier] })).toMatchObject({
      realm: 'ws',
      sources: ['header', 'protocol'],
      protocols: [],
      maxTokenLength: 8 * 1024,
      maxProtocols: 16,
      verifyTimeoutMs: 1000,
      maxPendingSockets: 1000,
      maxPendingSocketsPerAddress: 100,
      firstMessageTimeoutMs: 5000,
      sessions: { expiringHintSec: 60 },
      tickets: { ttlSec: 30 },
    });
  });

  it('makes ticket a default source when tickets options are given, even empty', () => {
    expect(resolveWsAuthOptions({ verifiers: [verifier], tickets: {} }).sources).toEqual(['ticket', 'header', 'protocol']);
    expect(resolveWsAuthOptions({ verifiers: [verifier], tickets: {}, sources: ['header'] }).sources).toEqual(['header']);
  });

  it('keeps what the app set', () => {
    const resolved = resolveWsAuthOptions({ verifiers: [verifier], realm: 'chat', maxProtocols: 4, sessions: { expiringHintSec: 5 } });
    expect(resolved).toMatchObject({ realm: 'chat', maxProtocols: 4, sessions: { expiringHintSec: 5 } });
  });

  it('hands out a frozen object that later changes to the app options do not reach', () => {
    const origins = ['https://app.example.com'];
    const resolved = resolveWsAuthOptions({ verifiers: [verifier], allowedOrigins: origins, sessions: {} });
    origins.push('https://evil.example');
    expect(resolved.allowedOrigins).toEqual(['https://app.example.com']);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.sessions)).toBe(true);
    expect(Object.isFrozen(resolved.allowedOrigins)).toBe(true);
    expect(Object.isFrozen(resolved.sources)).toBe(true);
  });

  it.each([
    ['no verifier', { verifiers: [] }, /at least one verifier/],
    ['a realm with a quote', { verifiers: [verifier], realm: 'a"b' }, /realm must be printable ASCII/],
    ['an origin with a path', { verifiers: [verifier], allowedOrigins: ['https://app.example.com/x'] }, /is not an origin/],
    ['a fractional ticket TTL', { verifiers: [verifier], tickets: { ttlSec: 1.5 } }, /tickets.ttlSec/],
  ])('refuses %s with a WsAuthConfigurationError', (_, options, message) => {
    expect(() => resolveWsAuthOptions(options)).toThrow(WsAuthConfigurationError);
    expect(() => resolveWsAuthOptions(options)).toThrow(message);
  });
});
