import { execFileSync } from 'node:child_process';

/**
 * Where a callgrind count goes, by kind of native frame. V8's generated code
 * is anonymous to callgrind (one `???` per code address), so JavaScript shows
 * up as "JIT code" plus the builtins and runtime functions it calls; what
 * callgrind does name apart is the engine's own work: TurboFan compiling,
 * deoptimizing, collecting garbage.
 */
const KINDS: ReadonlyArray<readonly [kind: string, frame: RegExp]> = [
  ['compile (TurboFan, Maglev)', /compiler::|Pipeline|turboshaft|maglev/i],
  ['deoptimization', /Deoptimiz|TranslatedState|TranslatedFrame/],
  [
    'garbage collection',
    /Scavenger|Heap::|MarkCompact|Sweeper|IterateObjectCache|Marking|heap::|BodyDescriptor|Evacuat|RootScavenge|GlobalHandles|MemoryChunk|Marker|Ephemeron/,
  ],
  ['JavaScript (generated code)', /^\?\?\?:0x|\?\?\?:\?\?\?/],
  ['inline caches, builtins, runtime', /IC\b|IC_|LookupIterator|Runtime_|MigrateToMap|Builtins_/],
  ['crypto (OpenSSL)', /sha\d|SHA|hmac|HMAC|EVP_|OPENSSL|ossl_/],
  ['malloc', /malloc|free/],
];

/** Instructions by kind (same units as the file's totals); `other` is everything not matched (Node, libuv, llhttp, the kernel interface). */
export function callgrindBreakdown(file: string): Record<string, number> {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const kinds: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(.*)$/.exec(line);
    if (!match || match[2].includes('PROGRAM TOTALS')) {
      continue;
    }
    const instructions = Number(match[1].replaceAll(',', ''));
    const kind = KINDS.find(([, frame]) => frame.test(match[2]))?.[0] ?? 'other';
    kinds[kind] = (kinds[kind] ?? 0) + instructions;
  }
  return kinds;
}
