import { isIP } from 'node:net';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';

/**
 * The issuer's keys decide who gets in, so they are fetched over TLS. Plain
 * `http:` is allowed for loopback alone, where nothing on the network can
 * change them in transit (a provider started by tests or a sidecar).
 */
export function checkIssuerUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WsAuthConfigurationError(`IssuerVerifier ${what} "${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new WsAuthConfigurationError(`IssuerVerifier ${what} must use https (http only on loopback), got "${url.protocol}"`);
  }
  if (url.username || url.password) {
    throw new WsAuthConfigurationError(`IssuerVerifier ${what} must not carry credentials`);
  }
  if (url.hash) {
    throw new WsAuthConfigurationError(`IssuerVerifier ${what} must not have a fragment`);
  }
  return url;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') {
    return true;
  }
  if (isIP(host) === 4) {
    return host.startsWith('127.');
  }
  return host === '::1';
}
