import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every `.ts` file below a folder, specs excluded: what ships. */
function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => join(root, folder, file));
}

/** The package names a file imports (static and dynamic), relative imports and node builtins left out. */
function importedPackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)'([^'.][^']*)'/g)].map((match) => match[1]);
  return specifiers
    .filter((specifier) => !specifier.startsWith('node:') && !builtinModules.includes(specifier))
    .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
}

function declared(packageJson: string): Set<string> {
  const manifest = JSON.parse(readFileSync(join(root, packageJson), 'utf8'));
  return new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }));
}

/** As @nestjs/config does: what ships may import only what its package.json declares. */
describe('declared dependencies', () => {
  it.each([
    ['the library', 'libs/ws-auth/src', 'libs/ws-auth/package.json'],
    ['the sample app', 'apps/chat/src', 'package.json'],
  ])('%s imports only packages its package.json declares', (_, folder, manifest) => {
    const known = declared(manifest);
    known.add('nestjs-ws-auth'); // the workspace library itself
    const undeclared = sources(folder).flatMap((file) =>
      importedPackages(file)
        .filter((name) => !known.has(name))
        .map((name) => `${file.slice(root.length + 1)} imports ${name}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('finds the imports it checks (the scan is not empty)', () => {
    expect(sources('libs/ws-auth/src').flatMap(importedPackages)).toEqual(expect.arrayContaining(['@nestjs/common', 'ws', 'jose']));
  });
});
