import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The built CommonJS library in a process where prom-client is not
 * installed: the library loads and starts, and only the `metrics` option asks
 * for prom-client, saying what to install.
 */
describe('prom-client as an optional peer', () => {
  let lines: string[];

  beforeAll(() => {
    execFileSync('npm', ['run', 'build:lib'], { cwd: root, stdio: 'pipe' });
    const output = execFileSync(
      process.execPath,
      [join(root, 'test', 'fixtures', 'without-prom-client.cjs'), join(root, 'libs', 'ws-auth', 'dist', 'cjs', 'index.js')],
      { cwd: root, encoding: 'utf8' },
    );
    lines = output.trim().split('\n');
  }, 120_000);

  it('is not needed to load the library and start an app without metrics', () => {
    expect(lines).toContain('without metrics: started');
    expect(lines).toContain('prom-client loaded: false');
  });

  it('is asked for, by name, when the metrics option is set', () => {
    expect(lines).toContain('with metrics: failed: ws-auth: WsAuthModule metrics needs the optional peer "prom-client": npm install prom-client');
  });
});
