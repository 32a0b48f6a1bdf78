/**
 * A mistake in how the library is wired (module options, decorators, guards,
 * adapters), found while the application starts. It stops the bootstrap:
 * a misconfigured gateway never serves a socket, so it can never serve one
 * unauthenticated. The message says what to change.
 */
export class WsAuthConfigurationError extends Error {
  override readonly name = 'WsAuthConfigurationError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(`ws-auth: ${message}`, options);
  }
}
