import { ACCESS_TOKEN_PROTOCOL } from 'nestjs-ws-auth';
import { benchToken } from '../support/bench-credentials.js';

/**
 * How a load generator's client carries its credential:
 * - `none`: no credential (servers without auth);
 * - `header`: `Authorization: Bearer <jwt>`;
 * - `protocol`: the browser form, subprotocols `access_token, <jwt>`;
 * - `ticket`: `?ticket=` with tickets minted by the server beforehand (single-use);
 * - `io_token`: Socket.IO's form, the token in the namespace CONNECT's `auth` (`{ token }`);
 * - `tokens`: `Authorization: Bearer` with tokens signed beforehand, each sent
 *   once (an issuer's: RSA signing is too dear to do per handshake in the client).
 *
 * Own tokens (`header`, `protocol`) are one per user, kept and sent again
 * at each of its handshakes (a server may have verified it before: a
 * reconnect), unless `fresh`: then every handshake signs a token no server
 * has seen (a `jti` of its own), what a verifier with a token cache cannot skip.
 */
export type ClientCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'header' | 'protocol'; readonly fresh?: boolean }
  | { readonly kind: 'ticket'; readonly tickets: readonly string[] }
  | { readonly kind: 'io_token' }
  | { readonly kind: 'tokens'; readonly tokens: readonly string[] };

export interface ClientHandshake {
  readonly url: string;
  readonly protocols: string[];
  readonly headers: Record<string, string>;
  /** Socket.IO only: the namespace CONNECT's `auth` payload. */
  readonly auth?: Record<string, string>;
}

/**
 * The n-th client's handshake. Tokens are signed once per user index and
 * kept: signing is the client's work, not the server's, and would only slow
 * the load generator down (a fresh credential signs one per handshake: HMAC,
 * a few µs).
 */
export class ClientCredentials {
  private readonly tokens = new Map<number, string>();
  private signed = 0;

  constructor(
    private readonly url: string,
    private readonly credential: ClientCredential,
  ) {}

  /** Tickets and signed-beforehand tokens are single-use: how many handshakes this credential allows (Infinity for own tokens). */
  get capacity(): number {
    switch (this.credential.kind) {
      case 'ticket':
        return this.credential.tickets.length;
      case 'tokens':
        return this.credential.tokens.length;
      default:
        return Infinity;
    }
  }

  handshake(user: number): ClientHandshake {
    switch (this.credential.kind) {
      case 'none':
        return { url: this.url, protocols: [], headers: {} };
      case 'header':
        return { url: this.url, protocols: [], headers: { Authorization: `Bearer ${this.token(user, this.credential.fresh)}` } };
      case 'protocol':
        return { url: this.url, protocols: [ACCESS_TOKEN_PROTOCOL, this.token(user, this.credential.fresh)], headers: {} };
      case 'ticket':
        return { url: `${this.url}?ticket=${once(this.credential.tickets, user, 'ticket')}`, protocols: [], headers: {} };
      case 'io_token':
        return { url: this.url, protocols: [], headers: {}, auth: { token: this.token(user) } };
      case 'tokens':
        return { url: this.url, protocols: [], headers: { Authorization: `Bearer ${once(this.credential.tokens, user, 'token')}` } };
    }
  }

  private token(user: number, fresh = false): string {
    if (fresh) {
      return benchToken(user, `${process.pid}-${++this.signed}`);
    }
    let token = this.tokens.get(user);
    if (token === undefined) {
      token = benchToken(user);
      this.tokens.set(user, token);
    }
    return token;
  }
}

function once(credentials: readonly string[], n: number, what: string): string {
  const credential = credentials[n];
  if (credential === undefined) {
    throw new RangeError(`bench: no ${what} left for client ${n}`);
  }
  return credential;
}
