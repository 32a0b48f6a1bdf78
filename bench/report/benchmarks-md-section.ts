import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchLog } from '../suites/bench-log.js';

/**
 * Replaces what lies between `<!-- bench:NAME:begin -->` and
 * `<!-- bench:NAME:end -->` in BENCHMARKS.md: each bench command owns one
 * such section and leaves the prose around it alone.
 */
export function replaceBenchmarksMdSection(name: string, section: string): void {
  const path = fileURLToPath(new URL('../../../../BENCHMARKS.md', import.meta.url));
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const text = readFileSync(path, 'utf8');
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    benchLog(`BENCHMARKS.md has no ${begin} … ${end} markers: left as it is`);
    return;
  }
  writeFileSync(path, `${text.slice(0, from + begin.length)}\n${section}${text.slice(to)}`);
}
