import type { IncomingMessage } from 'node:http';

/**
 * Every value sent for a header, in order. Node keeps only the first
 * `Authorization` and joins repeated `Sec-WebSocket-Protocol` headers, so a
 * request that sends one twice can only be told apart through `rawHeaders`.
 */
export function rawHeaderValues(request: IncomingMessage, name: string): string[] {
  const wanted = name.toLowerCase();
  const raw = request.rawHeaders ?? [];
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i].length === wanted.length && raw[i].toLowerCase() === wanted) {
      values.push(raw[i + 1]);
    }
  }
  return values;
}
