import { describe, expect, it } from '@jest/globals';
import { WS_AUTH_ERROR_TABLE } from './ws-auth-error.table.js';
import { WsAuthError } from './ws-auth.errors.js';

describe('WS_AUTH_ERROR_TABLE', () => {
  it('answers each code with its status and, after an accepted upgrade, its close code', () => {
    const summary = Object.fromEntries(
      Object.entries(WS_AUTH_ERROR_TABLE).map(([code, answer]) => [code, [answer.status, answer.challenge, answer.closeCode]]),
    );
    expect(summary).toEqual({
      missing_credential: [401, 'bare', 4401],
      invalid_token: [401, 'error', 4401],
      invalid_request: [400, 'error', 4400],
      insufficient_scope: [403, 'error', 4403],
      origin_not_allowed: [403, 'none', 4403],
      unavailable: [503, 'none', 1013],
      too_many_connections: [429, 'none', 4429],
    });
  });

  it('keeps close reasons short enough for a close frame (123 bytes)', () => {
    for (const answer of Object.values(WS_AUTH_ERROR_TABLE)) {
      expect(Buffer.byteLength(answer.closeReason)).toBeLessThan(123);
    }
  });
});

describe('WsAuthError.from', () => {
  it('returns a WsAuthError as it is', () => {
    const error = new WsAuthError('invalid_request');
    expect(WsAuthError.from(error, 'unavailable')).toBe(error);
  });

  it('wraps anything else as the fallback code, keeping it as the cause and its message out', () => {
    const cause = new Error('connect ECONNREFUSED 10.0.0.1:6379 secret-token');
    const error = WsAuthError.from(cause, 'unavailable');
    expect(error).toBeInstanceOf(WsAuthError);
    expect(error.code).toBe('unavailable');
    expect(error.cause).toBe(cause);
    expect(error.message).not.toContain('secret-token');
  });
});
