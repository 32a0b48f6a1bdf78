import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const json = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));

/**
 * Libraries that decide whether a token is genuine are pinned to one exact
 * version, in the library's manifest (what an app installs) and the
 * repository's, so no release reaches a handshake unreviewed: a version
 * range, or two manifests that disagree, fail here. How a pin is moved is in
 * CONTRIBUTING.md ("Security-relevant dependencies").
 */
const PINNED = ['fast-jwt'];
const EXACT = /^\d+\.\d+\.\d+$/;

describe('security-relevant dependencies', () => {
  const library = json('libs/ws-auth/package.json');
  const repository = json('package.json');
  const lock = json('package-lock.json');

  it.each(PINNED)('%s is pinned to one exact version, the same in the library, the repository and the lockfile', (name) => {
    const pinned = library.dependencies?.[name];
    expect(pinned).toMatch(EXACT);
    expect(repository.dependencies?.[name]).toBe(pinned);
    expect(lock.packages[`node_modules/${name}`]?.version).toBe(pinned);
    const installed = createRequire(join(root, 'libs/ws-auth/package.json'))(`${name}/package.json`) as { version: string };
    expect(installed.version).toBe(pinned);
  });
});
