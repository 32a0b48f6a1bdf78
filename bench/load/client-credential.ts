import { ACCESS_TOKEN_PROTOCOL } from 'nestjs-ws-auth';
import { benchToken } from '../support/bench-credentials.js';
import { issuerToken, type BenchIssuerSigner } from '../support/bench-issuer-keys.js';

/**
 * How a load generator's client carries its credential:
 * - `none`: no credential (servers without auth);
 * - `header`: `Authorization: Bearer <jwt>`;
 * - `protocol`: the browser form, subprotocols `access_token, <jwt>`;
 * - `ticket`: `?ticket=` with tickets minted by the server beforehand (single-use);
 * - `io_token`: Socket.IO's form, the token in the namespace CONNECT's `auth` (`{ token }`);
 * - `issuer`: an external issuer's RS256 access token in `Authorization: Bearer`.
 */
export type ClientCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'header' }
  | { readonly kind: 'protocol' }
  | { readonly kind: 'ticket'; readonly tickets: readonly string[] }
  | { readonly kind: 'io_token' }
  | { readonly kind: 'issuer'; readonly signer: BenchIssuerSigner };

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
 * the load generator down.
 */
export class ClientCredentials {
  private readonly tokens = new Map<number, string>();

  constructor(
    private readonly url: string,
    private readonly credential: ClientCredential,
  ) {}

  /** Tickets are single-use: how many handshakes this credential allows (Infinity for tokens). */
  get capacity(): number {
    return this.credential.kind === 'ticket' ? this.credential.tickets.length : Infinity;
  }

  handshake(user: number): ClientHandshake {
    switch (this.credential.kind) {
      case 'none':
        return { url: this.url, protocols: [], headers: {} };
      case 'header':
      case 'issuer':
        return { url: this.url, protocols: [], headers: { Authorization: `Bearer ${this.token(user)}` } };
      case 'io_token':
        return { url: this.url, protocols: [], headers: {}, auth: { token: this.token(user) } };
      case 'protocol':
        return { url: this.url, protocols: [ACCESS_TOKEN_PROTOCOL, this.token(user)], headers: {} };
      case 'ticket': {
        const ticket = this.credential.tickets[user];
        if (ticket === undefined) {
          throw new RangeError(`bench: no ticket left for client ${user}`);
        }
        return { url: `${this.url}?ticket=${ticket}`, protocols: [], headers: {} };
      }
    }
  }

  private token(user: number): string {
    let token = this.tokens.get(user);
    if (token === undefined) {
      token = this.credential.kind === 'issuer' ? issuerToken(user, this.credential.signer) : benchToken(user);
      this.tokens.set(user, token);
    }
    return token;
  }
}
