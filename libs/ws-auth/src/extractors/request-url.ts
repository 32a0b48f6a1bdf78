import type { IncomingMessage } from 'node:http';
import { WsAuthError } from '../ws-auth.errors.js';

// Weak: a parsed URL never outlives its request.
const parsed = new WeakMap<IncomingMessage, URL>();

/**
 * The upgrade request's URL, parsed once per request: a ticket handshake
 * reads it twice (the `?ticket=` extractor, then the path the ticket is bound
 * to), and each `new URL()` is a full WHATWG parse. Throws `invalid_request`
 * for a target that is no URL.
 */
export function requestUrl(request: IncomingMessage): URL {
  let url = parsed.get(request);
  if (url === undefined) {
    try {
      // The base only makes a path-only request URL parseable; its host is never used.
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      // A target such as `//` or `/\[` is no URL: a malformed request, not a failure to judge it.
      throw new WsAuthError('invalid_request', 'The request URL is malformed');
    }
    parsed.set(request, url);
  }
  return url;
}
