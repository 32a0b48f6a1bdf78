import { performance } from 'node:perf_hooks';

/**
 * Epoch milliseconds with sub-millisecond resolution, comparable across the
 * processes of one machine: `performance.now()` alone starts at each
 * process's own origin, `Date.now()` has whole milliseconds only.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
