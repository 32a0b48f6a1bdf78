import type { WsBuiltInSourceName, WsCredentialSource } from '../interfaces/credential-source.interface.js';
import { fromAuthorizationHeader } from './authorization-header.extractor.js';
import { fromCookie } from './cookie.extractor.js';
import { fromQueryParameter } from './query-parameter.extractor.js';
import { fromSubprotocol } from './subprotocol.extractor.js';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';

/**
 * Factories of the built-in credential sources, for `@WsAuth({ sources })`
 * and `WsAuthModule.forRoot({ sources })`. A plain name (`'header'`) means the
 * factory with its defaults.
 */
export const WsSources = {
  /** `Authorization: Bearer <token>` (RFC 6750 §2.1), for non-browser clients. */
  header: (): WsCredentialSource => ({ name: 'header', extract: fromAuthorizationHeader() }),
  /** `new WebSocket(url, ['access_token', token])`, or `base64url.bearer.<token>` beside an app protocol. */
  protocol: (appProtocols: readonly string[] = []): WsCredentialSource => ({
    name: 'protocol',
    extract: fromSubprotocol(appProtocols),
  }),
  /** A cookie, honoured only when the request's `Origin` is on the allowlist. */
  cookie: (name = 'access_token'): WsCredentialSource => ({ name: 'cookie', extract: fromCookie(name), ambient: true }),
  /**
   * `?access_token=`: RFC 9700 §4.3.2 says clients MUST NOT send tokens in
   * URLs (they end up in access logs). For legacy clients only.
   */
  query: (name = 'access_token'): WsCredentialSource => ({ name: 'query', extract: fromQueryParameter(name) }),
} satisfies Record<Exclude<WsBuiltInSourceName, 'ticket'>, (...args: never[]) => WsCredentialSource>;

export type WsSourceSpec = WsBuiltInSourceName | WsCredentialSource;

export function resolveSource(spec: WsSourceSpec, appProtocols: readonly string[] = []): WsCredentialSource {
  if (typeof spec !== 'string') {
    return spec;
  }
  if (spec === 'protocol') {
    return WsSources.protocol(appProtocols);
  }
  if (spec === 'ticket') {
    // Redeeming needs the module's TicketService: WsAuthenticator resolves this name.
    throw new WsAuthConfigurationError('the "ticket" source is resolved by WsAuthenticator, not by resolveSource()');
  }
  const factory = WsSources[spec];
  if (!factory) {
    throw new WsAuthConfigurationError(`unknown credential source "${spec}"`);
  }
  return factory();
}
