/**
 * A value, or a promise of it. The handshake path passes these along instead
 * of awaiting each step: when every step answers at once (an HMAC token and
 * revocations in memory, the common case), the upgrade is decided in the
 * tick that received it, with no promise, no timer and no extra turn of the
 * event loop; only a step that really waits (Redis, an issuer's keys) makes
 * the rest asynchronous. graphql-js's `PromiseOrValue` is the same idea.
 */
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | null)?.then === 'function';
}

/**
 * `next(value)` now for a value, after it settles for a promise. A throw in
 * `next` is thrown for a value and a rejection for a promise, as with `await`.
 */
export function then<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromise(value) ? value.then(next) : next(value);
}
