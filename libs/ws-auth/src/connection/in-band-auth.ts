import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';
import type { WsAuthInfo } from '../interfaces/ws-auth-info.interface.js';
import { AUTH_EVENT } from '../ws-auth.constants.js';

/** The in-band credential source: a token in an `auth` event. */
export const MESSAGE_SOURCE: WsCredentialSource = { name: 'message', extract: () => null };

/** The frame of an in-band authentication, first-message or refresh. */
export interface AuthFrame {
  event: typeof AUTH_EVENT;
  data?: { token?: unknown };
}

export function parseAuthFrame(data: Buffer): AuthFrame | undefined {
  try {
    const frame = JSON.parse(data.toString('utf8')) as AuthFrame;
    return frame?.event === AUTH_EVENT ? frame : undefined;
  } catch {
    return undefined;
  }
}

/** The answer to an accepted `auth` frame: who, and for how long (whole seconds). */
export function authReply(auth: WsAuthInfo) {
  const expiresIn = auth.expiresAt === undefined ? null : Math.max(0, Math.floor((auth.expiresAt - Date.now()) / 1000));
  return { event: AUTH_EVENT, data: { sub: auth.subject, expires_in: expiresIn } };
}
