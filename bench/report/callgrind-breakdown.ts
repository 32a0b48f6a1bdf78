import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';

/**
 * Where a callgrind count goes, by kind of work. V8's generated code is
 * anonymous to callgrind (one `???:0x…` per code address), so the server
 * runs with `--perf-basic-prof`: V8 then writes the name and source position
 * of every function it compiles to `/tmp/perf-<pid>.map`, which turns those
 * addresses back into JavaScript functions, and these into the package they
 * belong to. Each frame's own (exclusive) count is filed once: the
 * builtins, inline-cache misses and runtime calls that JavaScript makes are
 * their own kind, not their caller's.
 */
const NATIVE_KINDS: ReadonlyArray<readonly [kind: string, frame: RegExp]> = [
  ['compile (TurboFan, Maglev)', /compiler::|Pipeline|turboshaft|maglev|CompileLazy/i],
  [
    'garbage collection',
    /Scaveng|Heap::|MarkCompact|Sweeper|Marking|heap::|BodyDescriptor|Evacuat|GlobalHandles|MemoryChunk|Marker|Ephemeron|RecordWrite|Pretenuring|OnMoveEvent/,
  ],
  ['crypto (OpenSSL)', /sha\d|SHA|hmac|HMAC|EVP_|evp_|OPENSSL|ossl_|CRYPTO_|BN_|bn_|ecp_|EC_|RSA_|rsa_|pthread_rwlock/],
  ['JSON.parse', /JsonParser/],
  ['malloc', /malloc|free|memmove|memcpy|memset/],
  ['V8 builtins, inline caches, runtime', /IC\b|IC_|LookupIterator|Runtime_|MigrateToMap|Builtins_|StubCache|Feedback|Factory|String|Map::|Prototype|Deoptimiz|Translated/],
];

/** The kinds JavaScript is filed under, by the file its function was compiled from. */
function javaScriptKind(name: string): string {
  if (name.startsWith('RegExp:')) {
    return 'regular expressions';
  }
  if (name.includes('/libs/ws-auth/')) {
    return 'JavaScript: ws-auth';
  }
  if (name.includes('/fast-jwt/') || name.includes('/jsonwebtoken/') || name.includes('/jose/')) {
    return 'JavaScript: JWT library';
  }
  if (name.includes(' node:')) {
    return 'JavaScript: Node core';
  }
  return 'JavaScript: Nest, ws, other packages';
}

interface CodeRange {
  readonly start: number;
  readonly size: number;
  readonly name: string;
}

/** Where V8 wrote the code map of the process that wrote the callgrind file `file` (its `pid:` line). */
function perfMapOf(file: string): string | undefined {
  // The `pid:` line is in the header: the first few kilobytes, not the whole (large) file.
  const head = Buffer.alloc(4096);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const pid = /^pid: (\d+)/m.exec(head.toString('latin1'))?.[1];
  return pid === undefined ? undefined : `/tmp/perf-${pid}.map`;
}

/** A code map, sorted by start; a later entry at the same address wins (code is freed and reused). */
function readPerfMap(mapFile: string | undefined): CodeRange[] {
  if (mapFile === undefined || !existsSync(mapFile)) {
    return [];
  }
  const byStart = new Map<number, CodeRange>();
  for (const line of readFileSync(mapFile, 'utf8').split('\n')) {
    const [start, size, ...name] = line.split(' ');
    if (name.length > 0) {
      byStart.set(parseInt(start, 16), { start: parseInt(start, 16), size: parseInt(size, 16), name: name.join(' ') });
    }
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

function codeAt(ranges: readonly CodeRange[], address: number): CodeRange | undefined {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (ranges[middle].start <= address) {
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  const range = ranges[high];
  return range && address < range.start + range.size ? range : undefined;
}

/** Instructions of one callgrind file by kind, and by JavaScript function (the named ones), in the file's units. */
export interface CallgrindBreakdown {
  readonly byKind: Record<string, number>;
  readonly byFunction: Record<string, number>;
}

/**
 * Instructions by kind (same units as the file's totals); `other native` is
 * every native frame not matched (Node, libuv, llhttp, the kernel
 * interface). The process's code map is removed once read unless `keepCodeMap`.
 */
export function callgrindBreakdown(file: string, keepCodeMap = false): CallgrindBreakdown {
  const mapFile = perfMapOf(file);
  const ranges = readPerfMap(mapFile);
  const text = execFileSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const byKind: Record<string, number> = {};
  const byFunction: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(.*)$/.exec(line);
    if (!match || match[2].includes('PROGRAM TOTALS')) {
      continue;
    }
    const instructions = Number(match[1].replaceAll(',', ''));
    const frame = match[2];
    const address = /^\?\?\?:0x([0-9a-f]+)/.exec(frame);
    let kind: string;
    if (address) {
      const code = codeAt(ranges, parseInt(address[1], 16));
      // `JS:*name file:line:column` (the mark says which tier), `RegExp:<source>`.
      const name = code?.name.replace(/^(JS|RegExp):[*^~+]?/, '$1:');
      kind = name === undefined ? 'JavaScript: not in the code map' : javaScriptKind(name);
      if (name !== undefined) {
        byFunction[name] = (byFunction[name] ?? 0) + instructions;
      }
    } else {
      kind = NATIVE_KINDS.find(([, pattern]) => pattern.test(frame))?.[0] ?? 'other native (Node, libuv, llhttp)';
    }
    byKind[kind] = (byKind[kind] ?? 0) + instructions;
  }
  if (mapFile !== undefined && !keepCodeMap) {
    rmSync(mapFile, { force: true });
  }
  return { byKind, byFunction };
}
