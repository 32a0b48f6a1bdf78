import { WsAuthError } from './ws-auth.errors.js';

/**
 * Settles with `work`, or fails with `WsAuthError('unavailable')` after
 * `timeoutMs`: a store or issuer that is slow to answer is one that cannot
 * answer, and a handshake must never wait on it unbounded.
 */
export function withinTimeout<T>(work: Promise<T>, timeoutMs: number, message = 'Timed out'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WsAuthError('unavailable', message)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
