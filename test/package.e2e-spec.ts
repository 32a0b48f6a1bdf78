import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packLibrary } from './support/packed-library.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository, so the consumer resolves @nestjs/* from the root
// node_modules, but with its own node_modules/nestjs-ws-auth: the packed tarball.
const consumer = join(root, 'test', '.consumer');

/**
 * The tarball itself, checked without the registry. Installing it, building
 * with it and running it in apps the Nest CLI makes is test/scaffold.e2e-spec.ts.
 */
describe('nestjs-ws-auth as a package', () => {
  let files: string[];

  beforeAll(() => {
    rmSync(consumer, { recursive: true, force: true });
    cpSync(join(root, 'test', 'fixtures', 'consumer'), consumer, { recursive: true });
    const packed = packLibrary(root, consumer);
    files = packed.files;
    const installed = join(consumer, 'node_modules', 'nestjs-ws-auth');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', packed.path, '-C', installed, '--strip-components=1']);
  }, 120_000);

  afterAll(() => {
    rmSync(consumer, { recursive: true, force: true });
  });

  it('ships the CommonJS build, its ESM entry, their types, README and LICENSE, and nothing of the sources or specs', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'dist/cjs/package.json',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'esm/index.js',
        'esm/index.d.ts',
      ]),
    );
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => file.includes('.spec.'))).toEqual([]);
  });

  // Generated apps skip the library's own types (skipLibCheck); this app checks them strictly.
  it('type-checks, with skipLibCheck off, an app that imports it by package name', () => {
    expect(() => execFileSync('npx', ['tsc', '-p', join(consumer, 'tsconfig.json')], { cwd: root, stdio: 'pipe' })).not.toThrow();
    expect(readdirSync(join(consumer, 'dist'))).toContain('main.js');
  }, 60_000);
});
