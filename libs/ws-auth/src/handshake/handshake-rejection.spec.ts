import fc from 'fast-check';
import { handshakeRejection } from './handshake-rejection.js';
import { WsAuthError, type WsAuthErrorCode } from '../ws-auth.errors.js';

describe('handshakeRejection', () => {
  it('answers missing_credential with 401 and a challenge without error (RFC 6750 §3.1)', () => {
    expect(handshakeRejection(new WsAuthError('missing_credential'), 'x')).toEqual({
      status: 401,
      message: 'Unauthorized',
      headers: { 'WWW-Authenticate': 'Bearer realm="x"' },
    });
  });

  it('answers invalid_token with 401 and error="invalid_token"', () => {
    expect(handshakeRejection(new WsAuthError('invalid_token'), 'x')).toEqual({
      status: 401,
      message: 'Unauthorized',
      headers: { 'WWW-Authenticate': 'Bearer realm="x", error="invalid_token"' },
    });
  });

  it('answers invalid_request with 400 and error="invalid_request"', () => {
    expect(handshakeRejection(new WsAuthError('invalid_request'), 'x')).toEqual({
      status: 400,
      message: 'Bad Request',
      headers: { 'WWW-Authenticate': 'Bearer realm="x", error="invalid_request"' },
    });
  });

  it('answers insufficient_scope with 403 and error="insufficient_scope"', () => {
    expect(handshakeRejection(new WsAuthError('insufficient_scope'), 'x')).toEqual({
      status: 403,
      message: 'Forbidden',
      headers: { 'WWW-Authenticate': 'Bearer realm="x", error="insufficient_scope"' },
    });
  });

  it('answers origin_not_allowed with 403 and no challenge: no credential would help', () => {
    expect(handshakeRejection(new WsAuthError('origin_not_allowed'), 'x')).toEqual({
      status: 403,
      message: 'Forbidden',
      headers: {},
    });
  });

  it('answers unavailable with 503 and Retry-After, and no challenge', () => {
    expect(handshakeRejection(new WsAuthError('unavailable'), 'x')).toEqual({
      status: 503,
      message: 'Service Unavailable',
      headers: { 'Retry-After': '1' },
    });
  });

  it('answers anything that is not a WsAuthError as unavailable: fail closed', () => {
    expect(handshakeRejection(new TypeError('boom'), 'x')).toEqual({
      status: 503,
      message: 'Service Unavailable',
      headers: { 'Retry-After': '1' },
    });
  });

  it('puts the realm it is given in the challenge', () => {
    expect(handshakeRejection(new WsAuthError('invalid_token'), 'chat').headers['WWW-Authenticate']).toBe(
      'Bearer realm="chat", error="invalid_token"',
    );
  });

  it.each<WsAuthErrorCode>([
    'missing_credential',
    'invalid_request',
    'invalid_token',
    'insufficient_scope',
    'origin_not_allowed',
    'unavailable',
  ])('answers %s with the generic status text, never the error message', (code) => {
    const rejection = handshakeRejection(new WsAuthError(code, 'detail eyJhbGciOiJIUzI1NiJ9'), 'x');
    expect(rejection.message).not.toContain('eyJ');
    expect(JSON.stringify(rejection.headers)).not.toContain('eyJ');
    expect(rejection.message).toMatch(/^(Unauthorized|Bad Request|Forbidden|Service Unavailable)$/);
  });

  it('gives every code and every valid realm exactly one of the three header shapes', () => {
    const codes: WsAuthErrorCode[] = [
      'missing_credential',
      'invalid_request',
      'invalid_token',
      'insufficient_scope',
      'origin_not_allowed',
      'unavailable',
    ];
    // The realms WsAuthenticator accepts: printable ASCII without quotes or backslashes.
    const realm = fc.stringMatching(/^[ !#-[\]-~]{0,20}$/);
    fc.assert(
      fc.property(fc.constantFrom(...codes), realm, (code, name) => {
        const { status, headers } = handshakeRejection(new WsAuthError(code), name);
        if (code === 'missing_credential') {
          expect(headers).toEqual({ 'WWW-Authenticate': `Bearer realm="${name}"` });
        } else if (code === 'origin_not_allowed') {
          expect(headers).toEqual({});
        } else if (code === 'unavailable') {
          expect(headers).toEqual({ 'Retry-After': '1' });
        } else {
          expect(headers).toEqual({ 'WWW-Authenticate': `Bearer realm="${name}", error="${code}"` });
        }
        expect([400, 401, 403, 503]).toContain(status);
      }),
    );
  });
});
