import type * as Jose from 'jose';

let jose: Promise<typeof Jose> | undefined;

/**
 * jose, loaded on first use. It is ESM-only: the CommonJS build reaches it
 * through `require(esm)` in Node, but jest's CommonJS mode (what Nest 11 apps
 * test with) cannot load it at all, so an app that never verifies an issuer's
 * token must not load it with the library.
 */
export function loadJose(): Promise<typeof Jose> {
  jose ??= import('jose');
  return jose;
}
