import type { IncomingMessage } from 'node:http';
import { WsAuthError } from '../ws-auth.errors.js';
import type { WsTokenExtractor } from '../interfaces/credential-source.interface.js';
import { requestUrl } from './request-url.js';

/** Every value of one query parameter of the upgrade URL. */
export function queryParameterValues(request: IncomingMessage, name: string): string[] {
  return requestUrl(request).searchParams.getAll(name);
}

/**
 * `?name=<credential>`. A repeated parameter is a malformed request; an empty
 * one is a bad credential.
 */
export function fromQueryParameter(name: string): WsTokenExtractor {
  return (request) => {
    const values = queryParameterValues(request, name);
    if (values.length === 0) {
      return null;
    }
    if (values.length > 1) {
      throw new WsAuthError('invalid_request', `The ${name} parameter is repeated`);
    }
    if (values[0].length === 0) {
      throw new WsAuthError('invalid_token', `The ${name} parameter is empty`);
    }
    return values[0];
  };
}
