import type { IncomingMessage } from 'node:http';
import { ACCESS_TOKEN_PROTOCOL, BEARER_PROTOCOL_PREFIX } from '../ws-auth.constants.js';
import { WsAuthError } from '../ws-auth.errors.js';
import type { WsTokenExtractor } from '../interfaces/credential-source.interface.js';
import { rawHeaderValues } from './raw-header-values.js';

/** The offered subprotocols, read once: what carries a token, and what may be selected. */
export interface OfferedProtocols {
  /** Every offered entry, in order, duplicates kept. */
  readonly offered: readonly string[];
  /** The token carried by the offer, if any. */
  readonly token: string | null;
  /**
   * The protocol the server answers with: `access_token` for the pair form,
   * otherwise the first offered one the application declares; never merely
   * the first offered (RFC 6455 §4.2.2), so never an entry that carries a token.
   */
  readonly selected: string | false;
}

/**
 * Reads `Sec-WebSocket-Protocol` in the two browser forms:
 * - the pair `access_token, <token>` (any order): the marker is selected;
 * - one entry `base64url.bearer.<base64url(token)>` beside an application
 *   protocol, which is selected when the application declares it
 *   (Kubernetes, Phoenix 1.8).
 * Anything ambiguous (the marker twice, two tokens, both forms) is a malformed request.
 *
 * `appProtocols` are the application's own subprotocol names: the only ones
 * the server selects besides `access_token`, and never taken for a token in
 * the pair form. Whatever else a client offers is never echoed.
 */
export function parseOfferedProtocols(
  request: IncomingMessage,
  appProtocols: readonly string[] = NO_APP_PROTOCOLS,
): OfferedProtocols {
  if (request.headers['sec-websocket-protocol'] === undefined) {
    return NO_OFFER; // Node joins repeated headers: none here means none in rawHeaders either
  }
  return parse(request, appProtocols);
}

const NO_APP_PROTOCOLS: readonly string[] = [];
/** Most handshakes offer no subprotocol: one shared answer, nothing to parse or remember. */
const NO_OFFER: OfferedProtocols = Object.freeze({ offered: Object.freeze([]) as readonly string[], token: null, selected: false });

function parse(request: IncomingMessage, appProtocols: readonly string[]): OfferedProtocols {
  // One pass sorts the entries (every handshake of a browser client reads its
  // offer): a chain of split/map/filter built five arrays and as many closures.
  const offered: string[] = [];
  const prefixed: string[] = [];
  const plain: string[] = [];
  let markers = 0;
  for (const value of rawHeaderValues(request, 'sec-websocket-protocol')) {
    for (const part of value.split(',')) {
      const entry = part.trim();
      if (entry.length === 0) {
        continue;
      }
      offered.push(entry);
      if (entry === ACCESS_TOKEN_PROTOCOL) {
        markers++;
      } else if (entry.startsWith(BEARER_PROTOCOL_PREFIX)) {
        prefixed.push(entry);
      } else {
        plain.push(entry);
      }
    }
  }

  if (markers === 0 && prefixed.length === 0) {
    return { offered, token: null, selected: spoken(offered, appProtocols, null) };
  }
  if (markers > 1 || prefixed.length > 1 || (markers === 1 && prefixed.length === 1)) {
    throw new WsAuthError('invalid_request', 'More than one credential among the subprotocols');
  }
  if (markers === 1) {
    const candidates = plain.filter((entry) => !appProtocols.includes(entry));
    if (candidates.length !== 1) {
      throw new WsAuthError('invalid_request', 'The access_token subprotocol needs exactly one token beside it');
    }
    return { offered, token: candidates[0], selected: ACCESS_TOKEN_PROTOCOL };
  }
  if (plain.length === 0) {
    // The prefixed form only travels beside a real protocol: the server must
    // answer with something that is not the token.
    throw new WsAuthError('invalid_request', 'A bearer subprotocol needs an application protocol beside it');
  }
  const token = decodeBase64Url(prefixed[0].slice(BEARER_PROTOCOL_PREFIX.length));
  return { offered, token, selected: spoken(plain, appProtocols, token) };
}

/**
 * The first offered protocol the application speaks, or none (a browser
 * accepts a 101 without one). The answer is sent in the 101: never one that
 * spells the token.
 */
function spoken(offered: readonly string[], appProtocols: readonly string[], token: string | null): string | false {
  for (const entry of offered) {
    if (entry !== token && appProtocols.includes(entry)) {
      return entry;
    }
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict: only the canonical encoding of UTF-8 text, so the token is exactly what was sent. */
function decodeBase64Url(value: string): string {
  if (value.length === 0 || !/^[A-Za-z0-9_-]+$/.test(value)) {
    throw new WsAuthError('invalid_token', 'Malformed bearer subprotocol');
  }
  // Buffer decodes leniently: a 4n+1 length or non-zero trailing bits would
  // still yield bytes (possibly none), so the decoding must re-encode to the input.
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.toString('base64url') !== value) {
    throw new WsAuthError('invalid_token', 'Malformed bearer subprotocol');
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WsAuthError('invalid_token', 'Malformed bearer subprotocol');
  }
}

/** The subprotocol source as a passport-jwt style extractor. */
export function fromSubprotocol(appProtocols: readonly string[] = NO_APP_PROTOCOLS): WsTokenExtractor {
  const extract: WsTokenExtractor = (request) => parseOfferedProtocols(request, appProtocols).token;
  subprotocolExtractors.set(extract, appProtocols);
  return extract;
}

/** Extractors made by `fromSubprotocol()`, with the application protocols they read the offer against. */
const subprotocolExtractors = new WeakMap<WsTokenExtractor, readonly string[]>();

/**
 * Whether `extract` would read the offer exactly as it was read against
 * `appProtocols`: the handshake pipeline reads it once (its inspect step,
 * against the gateway's protocols, which its protocol source is made with)
 * and takes the token from there.
 */
export function readsOfferAgainst(extract: WsTokenExtractor, appProtocols: readonly string[]): boolean {
  return subprotocolExtractors.get(extract) === appProtocols;
}
