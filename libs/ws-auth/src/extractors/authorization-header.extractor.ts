import { WsAuthError } from '../ws-auth.errors.js';
import type { WsTokenExtractor } from '../interfaces/credential-source.interface.js';
import { rawHeaderValues } from './raw-header-values.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const BEARER_SCHEME = /^Bearer(?: |$)/i;

/**
 * `Authorization: Bearer <token>`. Another scheme (`Basic`) is not a bearer
 * credential and is ignored; a `Bearer` value that breaks the RFC 6750 syntax
 * is a bad credential; two headers are a malformed request.
 */
export function fromAuthorizationHeader(): WsTokenExtractor {
  return (request) => {
    const values = rawHeaderValues(request, 'authorization');
    if (values.length === 0) {
      return null;
    }
    if (values.length > 1) {
      throw new WsAuthError('invalid_request', 'More than one Authorization header');
    }
    const value = values[0].trim();
    if (!BEARER_SCHEME.test(value)) {
      return null;
    }
    const match = BEARER.exec(value);
    if (!match) {
      throw new WsAuthError('invalid_token', 'Malformed bearer credential');
    }
    return match[1];
  };
}
