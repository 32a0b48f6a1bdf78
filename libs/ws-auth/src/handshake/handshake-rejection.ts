import { STATUS_CODES } from 'node:http';
import { WS_AUTH_ERROR_TABLE } from '../ws-auth-error.table.js';
import { WsAuthError } from '../ws-auth.errors.js';

export interface HandshakeRejection {
  readonly status: number;
  /** The response body: the generic status text, never a detail of the credential. */
  readonly message: string;
  readonly headers: Record<string, string>;
}

/**
 * The HTTP answer to a refused upgrade, with RFC 6750 §3 `WWW-Authenticate`:
 * no `error` when no credential was sent, the error code otherwise.
 * Anything but a `WsAuthError` could not be judged: `unavailable`.
 */
export function handshakeRejection(error: unknown, realm: string): HandshakeRejection {
  const { code } = WsAuthError.from(error, 'unavailable');
  const answer = WS_AUTH_ERROR_TABLE[code];
  const headers: Record<string, string> = {};
  if (answer.challenge === 'bare') {
    headers['WWW-Authenticate'] = `Bearer realm="${realm}"`;
  } else if (answer.challenge === 'error') {
    headers['WWW-Authenticate'] = `Bearer realm="${realm}", error="${code}"`;
  }
  if (answer.retryAfterSec !== undefined) {
    headers['Retry-After'] = String(answer.retryAfterSec);
  }
  return { status: answer.status, message: STATUS_CODES[answer.status] ?? 'Error', headers };
}
