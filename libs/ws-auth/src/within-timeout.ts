import { WsAuthError } from './ws-auth.errors.js';

/**
 * Settles with `work`, or fails with `WsAuthError('unavailable')` after
 * `timeoutMs`: a store or issuer that is slow to answer is one that cannot
 * answer, and a handshake must never wait on it unbounded. One promise and
 * one timer, rather than `Promise.race` and `finally`: it runs on every
 * handshake that waits on Redis or an issuer.
 */
export function withinTimeout<T>(work: Promise<T>, timeoutMs: number, message = 'Timed out'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new WsAuthError('unavailable', message)), timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
