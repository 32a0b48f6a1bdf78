import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, connect, rawUpgrade } from './support/ws-client.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository, so the consumer resolves @nestjs/* from the root
// node_modules, but with its own node_modules/nestjs-ws-auth: the packed tarball.
const consumer = join(root, 'test', '.consumer');
const SECRET = 'package-test-secret-0123456789abcdef';

/** The library as a package of its own: packed, installed, compiled against and run by an outside app. */
describe('nestjs-ws-auth as a package', () => {
  let files: string[];
  let app: ChildProcess | undefined;

  beforeAll(() => {
    rmSync(consumer, { recursive: true, force: true });
    cpSync(join(root, 'test', 'fixtures', 'consumer'), consumer, { recursive: true });
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', consumer], { cwd: join(root, 'libs', 'ws-auth'), encoding: 'utf8' }),
    );
    files = packed.files.map((file: { path: string }) => file.path);
    const installed = join(consumer, 'node_modules', 'nestjs-ws-auth');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(consumer, packed.filename), '-C', installed, '--strip-components=1']);
  }, 120_000);

  afterAll(() => {
    app?.kill();
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

  it('type-checks an app that imports it by package name', () => {
    expect(() => execFileSync('npx', ['tsc', '-p', join(consumer, 'tsconfig.json')], { cwd: root, stdio: 'pipe' })).not.toThrow();
    expect(readdirSync(join(consumer, 'dist'))).toContain('main.js');
  }, 60_000);

  it('authenticates handshakes in that app', async () => {
    app = spawn(process.execPath, [join(consumer, 'dist', 'main.js')], { env: { ...process.env, JWT_SECRET: SECRET } });
    const port = await new Promise<string>((resolve, reject) => {
      let output = '';
      app!.stdout!.on('data', (chunk) => {
        output += chunk;
        const match = /listening (\d+)/.exec(output);
        if (match) resolve(match[1]);
      });
      app!.once('exit', (code) => reject(new Error(`consumer exited with ${code}`)));
    });
    expect((await rawUpgrade(`ws://127.0.0.1:${port}/chat`)).status).toBe(401);
    const socket = await connect(`ws://127.0.0.1:${port}/chat`, { protocols: ['access_token', signHs(ownClaims(), SECRET)] });
    await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'protocol' } });
    socket.close();
  });
});
