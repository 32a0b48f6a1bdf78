import type { IncomingMessage } from 'node:http';

/**
 * The address a connection comes from, for limits per client: the TCP
 * peer's, unless the app names a header that a proxy of its own sets (a
 * client can write any header, so one is read only when configured). For a
 * list such as `X-Forwarded-For`, the last entry is the one the nearest proxy
 * appended, the only one it vouches for.
 */
export function clientAddressOf(request: IncomingMessage, trustedHeader?: string): string {
  if (trustedHeader) {
    const raw = request.headers[trustedHeader.toLowerCase()];
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const last = value?.split(',').pop()?.trim();
    if (last) {
      return last;
    }
  }
  return request.socket.remoteAddress ?? 'unknown';
}
