import { scopesFromClaims, type JwtClaims } from './claims.js';

/**
 * What a handler sees of an access token from an external issuer
 * (`@WsUser()`), read from its RFC 9068 §2.2 claims.
 */
export interface IssuerPrincipal {
  /** `iss`: which trusted issuer vouched for the token. */
  readonly issuer: string;
  /** `sub`: the user, or for the client-credentials grant the client itself. */
  readonly subject: string;
  /** `client_id`: the OAuth client the token was issued to. */
  readonly clientId?: string;
  /** `scope`, split on spaces. */
  readonly scopes: readonly string[];
  /** Every verified claim, for what the fields above leave out. */
  readonly claims: Readonly<JwtClaims>;
}

export function issuerPrincipalFromClaims(claims: JwtClaims): IssuerPrincipal {
  return {
    issuer: claims.iss as string,
    subject: claims.sub as string,
    clientId: typeof claims.client_id === 'string' ? claims.client_id : undefined,
    scopes: scopesFromClaims(claims),
    claims,
  };
}
