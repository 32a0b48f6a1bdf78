import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Headers not kept past the upgrade: those that carry a credential (an
 * in-band refresh is judged by the token of its message alone) and those
 * that only serve the handshake itself.
 */
const DROPPED_HEADERS = new Set([
  'authorization',
  'cookie',
  'sec-websocket-protocol',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'connection',
  'upgrade',
]);

/**
 * What an authenticated socket keeps of its upgrade request, for the
 * verifiers that run again on an in-band refresh: method, URL, the headers
 * without credentials, and the TCP socket (which the WebSocket holds
 * anyway). Keeping the `IncomingMessage` itself cost about 1.5 KiB of heap
 * per idle socket (`npm run bench`): its stream state, both header forms, the
 * token's string and, through weak maps keyed by the request, the
 * handshake's own bookkeeping.
 */
class UpgradeRequestSnapshot {
  constructor(
    readonly method: string | undefined,
    readonly url: string | undefined,
    readonly httpVersion: string,
    readonly headers: IncomingHttpHeaders,
    readonly socket: Socket,
  ) {}

  /** Node's flat [name, value, ...] form, built on demand: rarely read at refresh time. */
  get rawHeaders(): string[] {
    return Object.entries(this.headers).flatMap(([name, value]) =>
      Array.isArray(value) ? value.flatMap((entry) => [name, entry]) : value === undefined ? [] : [name, value],
    );
  }
}

/**
 * What an authenticated socket keeps of its upgrade request for its in-band
 * refresh: a snapshot when a verifier may read it (`keep`, from the
 * verifiers' `readsRequest`), else nothing.
 */
export function requestKeptForRefresh(request: IncomingMessage, keep: boolean): IncomingMessage | undefined {
  return keep ? snapshotUpgradeRequest(request) : undefined;
}

/**
 * What a refresh hands the verifiers when the socket kept nothing: they all
 * said they never read it, so it holds nothing to read.
 */
export const REQUEST_NOT_KEPT = Object.freeze(
  new UpgradeRequestSnapshot(undefined, undefined, '1.1', Object.freeze({}), undefined as unknown as Socket),
) as unknown as IncomingMessage;

/** A partial `IncomingMessage`: what verifiers read of a request (headers, url, socket) is there. */
function snapshotUpgradeRequest(request: IncomingMessage): IncomingMessage {
  const headers: IncomingHttpHeaders = {};
  const { headers: all } = request;
  // for...in rather than Object.entries: no array of pairs per handshake.
  for (const name in all) {
    if (!DROPPED_HEADERS.has(name)) {
      headers[name] = all[name];
    }
  }
  return new UpgradeRequestSnapshot(request.method, request.url, request.httpVersion, headers, request.socket) as unknown as IncomingMessage;
}
