/**
 * A gateway path as Nest's adapters compare it: one leading slash, no
 * trailing or repeated ones, `/` for none. Nest's own helper lives in an
 * internal entry point that Nest 11 does not have.
 */
export function normalizePath(path: string | undefined): string {
  return path ? `/${path.replace(/\/+$/, '')}`.replace(/\/+/g, '/') : '/';
}
