import { STATUS_CODES } from 'node:http';
import { WsAuthError, type WsAuthErrorCode } from './ws-auth.errors.js';

export interface HandshakeRejection {
  readonly status: number;
  /** The response body: the generic status text, never a detail of the credential. */
  readonly message: string;
  readonly headers: Record<string, string>;
}

const STATUS: Record<WsAuthErrorCode, number> = {
  missing_credential: 401,
  invalid_token: 401,
  invalid_request: 400,
  insufficient_scope: 403,
  origin_not_allowed: 403,
  unavailable: 503,
};

/** Seconds a client should wait before retrying a handshake that got 503. */
const RETRY_AFTER_SEC = '1';

/**
 * The HTTP answer to a refused upgrade, with RFC 6750 §3 `WWW-Authenticate`:
 * no `error` when no credential was sent, the error code otherwise.
 */
export function handshakeRejection(error: unknown, realm: string): HandshakeRejection {
  const code: WsAuthErrorCode = error instanceof WsAuthError ? error.code : 'unavailable';
  const status = STATUS[code];
  const headers: Record<string, string> = {};
  switch (code) {
    case 'missing_credential':
      headers['WWW-Authenticate'] = `Bearer realm="${realm}"`;
      break;
    case 'invalid_token':
    case 'invalid_request':
    case 'insufficient_scope':
      headers['WWW-Authenticate'] = `Bearer realm="${realm}", error="${code}"`;
      break;
    case 'unavailable':
      headers['Retry-After'] = RETRY_AFTER_SEC;
      break;
  }
  return { status, message: STATUS_CODES[status] ?? 'Error', headers };
}
