import { WsAuthError } from '../ws-auth.errors.js';
import type { WsTokenExtractor } from '../interfaces/credential-source.interface.js';
import { rawHeaderValues } from './raw-header-values.js';

/**
 * A cookie by name. Cookie parsers (`cookie`, express) keep the first of two
 * same-named cookies silently; a credential must not be chosen by accident,
 * so two are a malformed request here. Honoured only with an allowed Origin
 * (the source is ambient; see `WsCredentialSource.ambient`).
 */
export function fromCookie(name: string): WsTokenExtractor {
  return (request) => {
    const found: string[] = [];
    for (const header of rawHeaderValues(request, 'cookie')) {
      for (const pair of header.split(';')) {
        const eq = pair.indexOf('=');
        if (eq > 0 && pair.slice(0, eq).trim() === name) {
          found.push(unquote(pair.slice(eq + 1).trim()));
        }
      }
    }
    if (found.length > 1) {
      throw new WsAuthError('invalid_request', 'More than one credential cookie');
    }
    return found[0] || null;
  };
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
