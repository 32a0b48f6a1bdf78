import { checkIssuerUrl } from './issuer-url.js';

/** The issuer's discovery document could not be read, or does not describe this issuer. */
export class IssuerDiscoveryError extends Error {
  override readonly name = 'IssuerDiscoveryError';
  readonly code = 'ERR_ISSUER_DISCOVERY';
}

/** OpenID Connect Discovery 1.0 §4: the document lives under the issuer's own path. */
export function discoveryUrl(issuer: string): URL {
  return new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
}

/**
 * Reads `jwks_uri` from the issuer's discovery document. The document must
 * name this very issuer (OpenID Connect Discovery 1.0 §4.3): otherwise a
 * document served for another issuer would hand us its keys.
 */
export async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<URL> {
  const url = discoveryUrl(issuer);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      // A redirect could lead anywhere; the issuer's metadata is where the issuer says.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new IssuerDiscoveryError(`The discovery document of ${issuer} cannot be fetched`, { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new IssuerDiscoveryError(`The discovery document of ${issuer} answered ${response.status}`);
  }
  let metadata: unknown;
  try {
    metadata = await response.json();
  } catch (cause) {
    throw new IssuerDiscoveryError(`The discovery document of ${issuer} is not JSON`, { cause });
  }
  const { issuer: named, jwks_uri: jwksUri } = (metadata ?? {}) as Record<string, unknown>;
  if (named !== issuer) {
    throw new IssuerDiscoveryError(`The discovery document of ${issuer} names another issuer`);
  }
  if (typeof jwksUri !== 'string') {
    throw new IssuerDiscoveryError(`The discovery document of ${issuer} has no jwks_uri`);
  }
  try {
    return checkIssuerUrl(jwksUri, 'jwks_uri');
  } catch (cause) {
    throw new IssuerDiscoveryError(`The jwks_uri of ${issuer} is not usable`, { cause });
  }
}
