/**
 * An answer that may come at once or later (the library's `MaybePromise`), as
 * a promise: a synchronous throw becomes a rejection, so specs can use
 * `resolves`/`rejects` whichever way the code under test answered.
 */
export function settle<T>(run: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(run()));
}
