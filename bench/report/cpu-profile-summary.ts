import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): self
 * time by function and by package, and the total time (self + callees)
 * under the functions whose name matches a pattern.
 *
 *   node dist/bench/bench/report/cpu-profile-summary.js bench/profiles/X.cpuprofile [pattern] [callers-of] [--per=N]
 *
 * With `--per=N` (the sockets the server opened, which it logs when
 * profiled), times are µs per socket rather than shares of the busy time.
 * With `callers-of`, also the stacks (4 frames up) that lead to functions matching it.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const perArg = process.argv.find((arg) => arg.startsWith('--per='));
const per = perArg ? Number(perArg.slice('--per='.length)) : undefined;
const [file, pattern, callersOf] = process.argv.slice(2).filter((arg) => !arg.startsWith('--per='));
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) {
    parent.set(child, node.id);
  }
}
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
const idle = [...selfMicros].filter(([id]) => ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName)).reduce((a, [, t]) => a + t, 0);
const busy = total - idle;

const where = (node: ProfileNode) => {
  const url = node.callFrame.url;
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  return pkg ?? (url.includes('/libs/ws-auth/') ? 'ws-auth' : url.startsWith('node:') ? 'node core' : url ? url.replace(/^.*\/(bench|dist)\//, '$1/') : node.callFrame.functionName);
};
/** Coarser than packages: what a handshake's time goes to, the same rows for every server. */
const kindOf = (node: ProfileNode): string => {
  const { functionName, url } = node.callFrame;
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (url.includes('/libs/ws-auth/')) return 'ws-auth';
  if (pkg && /^(jsonwebtoken|jws|jwa|@nestjs\/jwt|buffer-equal-constant-time|safe-buffer|ecdsa-sig-formatter|jose)$/.test(pkg)) return 'JWT libraries (jsonwebtoken, jws, jwa, @nestjs/jwt, jose)';
  if (url.startsWith('node:internal/crypto/')) return 'node:crypto (HMAC, hashes)';
  if (pkg && /^(rxjs|@nestjs\/)/.test(pkg)) return 'Nest and rxjs';
  if (pkg === 'ws') return 'ws';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (/^node:internal\/(modules|deps\/cjs-module-lexer)/.test(url) || /^(openFileHandle|compileSourceTextModule|internalModuleStat|readFileUtf8|fstat)$/.test(functionName)) {
    return 'module loading (start-up, once per process)';
  }
  if (!url && /^(writeUtf8String|writeLatin1String|writeBuffer|writev|read|close|shutdown)$/.test(functionName)) return 'socket calls (write, read, close)';
  return pkg ?? (url.startsWith('node:') || !url ? 'other Node core' : 'other');
};
const label = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'} ${where(node)}:${node.callFrame.lineNumber + 1}`;
const amount = (t: number) => (per ? `${(t / per).toFixed(1).padStart(6)} µs` : `${((100 * t) / busy).toFixed(1).padStart(5)}%`);
const top = (map: Map<string, number>, n: number) =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, t]) => `${amount(t)}  ${name}`);

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
const byKind = new Map<string, number>();
for (const [id, t] of selfMicros) {
  const node = byId.get(id)!;
  if (['(idle)', '(program)'].includes(node.callFrame.functionName)) {
    continue;
  }
  byFunction.set(label(node), (byFunction.get(label(node)) ?? 0) + t);
  byPackage.set(where(node), (byPackage.get(where(node)) ?? 0) + t);
  byKind.set(kindOf(node), (byKind.get(kindOf(node)) ?? 0) + t);
}
console.log(`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled${per ? ` (${(busy / per).toFixed(1)} µs per socket)` : ''}\n\nself time by package:`);
console.log(top(byPackage, 15).join('\n'));
console.log('\nself time by kind:');
console.log(top(byKind, 12).join('\n'));
console.log('\nself time by function:');
console.log(top(byFunction, 30).join('\n'));

if (pattern) {
  // Inclusive time: every sample whose stack passes through a matching frame, counted once.
  const matcher = new RegExp(pattern);
  const inclusive = new Map<string, number>();
  for (const [id, t] of selfMicros) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)!;
      const name = label(node);
      if (matcher.test(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + t);
      }
    }
  }
  console.log(`\ntotal time under /${pattern}/:`);
  console.log(top(inclusive, 30).join('\n'));
}

if (callersOf) {
  const matcher = new RegExp(callersOf);
  const stacks = new Map<string, number>();
  for (const [id, t] of selfMicros) {
    if (!matcher.test(label(byId.get(id)!))) {
      continue;
    }
    const frames: string[] = [];
    for (let at = parent.get(id); at !== undefined && frames.length < 4; at = parent.get(at)) {
      frames.push(label(byId.get(at)!));
    }
    const key = `${label(byId.get(id)!)}  <-  ${frames.join('  <-  ')}`;
    stacks.set(key, (stacks.get(key) ?? 0) + t);
  }
  console.log(`\nstacks into /${callersOf}/:`);
  console.log(top(stacks, 12).join('\n'));
}
