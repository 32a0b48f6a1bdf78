import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface LockedPackage {
  version?: string;
  link?: boolean;
}

/**
 * A lockfile is only good if a fresh clone on another machine installs from
 * it. npm writes version-less placeholders for optional packages the registry
 * did not serve, and a later npm refuses the whole file ("Invalid Version"),
 * while the machine that wrote it installs from its node_modules and passes.
 */
describe('package-lock.json', () => {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));

  it('gives every package it locks a version', () => {
    const packages = Object.entries(lock.packages as Record<string, LockedPackage>).filter(([path]) => path !== '');
    expect(packages.length).toBeGreaterThan(100);
    const versionless = packages.filter(([, entry]) => !entry.link && !entry.version).map(([path]) => path);
    expect(versionless).toEqual([]);
  });

  it('is accepted by `npm ci` in a folder with no node_modules and an empty cache', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'ws-auth-lock-'));
    try {
      for (const file of ['package.json', 'package-lock.json', ...workspaceManifests()]) {
        mkdirSync(dirname(join(scratch, file)), { recursive: true });
        cpSync(join(root, file), join(scratch, file));
      }
      // --dry-run reads and validates the whole tree without downloading it.
      const args = ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund', '--cache', join(scratch, '.cache')];
      expect(() => execFileSync('npm', args, { cwd: scratch, stdio: 'pipe' })).not.toThrow();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 60_000);

  function workspaceManifests(): string[] {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    return (manifest.workspaces as string[]).map((workspace) => join(workspace, 'package.json'));
  }
});
