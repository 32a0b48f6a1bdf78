import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmRegistryReachable } from './support/npm-registry.js';
import { runAppTests, scaffoldFromReadme, startApp, type RunningApp, type ScaffoldedApp } from './support/nest-scaffold.js';
import { packLibrary } from './support/packed-library.js';
import { PhaseTimes } from './support/phase-times.js';
import { readReadmeSection, type ReadmeSection } from './support/readme-quick-start.js';
import { runCommand, userShellEnv } from './support/run-command.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, closed, connect, rawUpgrade } from './support/ws-client.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The apps the Nest CLI makes today, each with the module system and runner it chooses. */
const SCAFFOLDS = [
  { cliMajor: 12, moduleType: 'module', runner: 'vitest' },
  { cliMajor: 11, moduleType: 'commonjs', runner: 'jest' },
] as const;

const NEST_PACKAGES = ['@nestjs/common', '@nestjs/core', '@nestjs/websockets', '@nestjs/platform-ws'];

// Generous bounds for a cold npm cache on a shared machine; typical runs take a fraction.
const SCAFFOLD_TIMEOUT_MS = 480_000;
const APP_TEST_TIMEOUT_MS = 150_000;

const describeWithRegistry = npmRegistryReachable() ? describe : describe.skip;

/**
 * The README's quick start, followed literally in the apps `nest new` makes
 * with `@nestjs/cli` 12 (ESM, vitest) and 11 (CommonJS, jest), from the
 * packed tarball: the library must install, build, authenticate over real
 * sockets and pass each app's own tests there.
 */
describeWithRegistry('the quick start in freshly generated Nest apps', () => {
  const times = new PhaseTimes();
  /** What each app really installed, printed with the phase times. */
  const installedVersions: string[] = [];
  const scaffolds = new Map<number, Promise<ScaffoldedApp>>();
  let workDir: string;
  let quickStart: ReadmeSection;

  beforeAll(async () => {
    quickStart = readReadmeSection(join(root, 'README.md'), 'Quick start');
    workDir = mkdtempSync(join(tmpdir(), 'ws-auth-scaffold-'));
    // One npm cache for the run, shared by both apps, never one a previous run filled.
    const env = userShellEnv(root, { npm_config_cache: join(workDir, 'npm-cache'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' });
    const library = await times.time('library', 'npm pack', async () => packLibrary(root, workDir));
    // Both apps are made at once (installs wait on the network, not the CPU);
    // each block below waits for its own.
    for (const { cliMajor } of SCAFFOLDS) {
      const scaffold = scaffoldFromReadme({ cliMajor, workDir, library, quickStart, env, times });
      scaffold.catch(() => undefined); // reported by the block that awaits it
      scaffolds.set(cliMajor, scaffold);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(scaffolds.values());
    process.stderr.write(`scaffold phases:\n${times.report()}\n${installedVersions.join('\n')}\n`);
    // Two apps' node_modules and an npm cache take a minute to delete: a
    // background rm does it without holding up the run.
    spawn('rm', ['-rf', workDir], { detached: true, stdio: 'ignore' }).unref();
  });

  describe.each(SCAFFOLDS)('@nestjs/cli $cliMajor ($moduleType, $runner)', ({ cliMajor, moduleType, runner }) => {
    const secret = randomBytes(32).toString('hex');
    let app: ScaffoldedApp;
    let running: RunningApp;
    // The app's tests set their own secret; only the started app gets this one.
    let env: NodeJS.ProcessEnv;
    let url: string;
    const tokensSent: string[] = [];
    const token = (overrides: Record<string, unknown> = {}) => {
      const signed = signHs(ownClaims(overrides), secret);
      tokensSent.push(signed);
      return signed;
    };

    beforeAll(async () => {
      app = await scaffolds.get(cliMajor)!;
      env = userShellEnv(root, { npm_config_cache: join(workDir, 'npm-cache') });
      delete env.JWT_SECRET;
      running = await times.time(`Nest ${cliMajor}`, 'start', () => startApp(app, { ...env, JWT_SECRET: secret }));
      url = `ws://127.0.0.1:${running.port}/chat`;
    }, SCAFFOLD_TIMEOUT_MS);

    afterAll(async () => {
      await running?.stop();
    });

    it(`generates a ${moduleType} app on Nest ${cliMajor}, tested with ${runner}`, () => {
      const generated = app.generatedPackageJson;
      expect(generated.type ?? 'commonjs').toBe(moduleType);
      expect(generated.dependencies['@nestjs/core']).toMatch(new RegExp(`^\\^${cliMajor}\\.`));
      expect(generated.dependencies['@nestjs/common']).toMatch(new RegExp(`^\\^${cliMajor}\\.`));
      expect(generated.scripts.test).toMatch(new RegExp(`^${runner}\\b`));
    });

    it(`installs the library with Nest ${cliMajor} peers and one copy of Nest`, () => {
      const installed = (name: string) => JSON.parse(readFileSync(join(app.dir, 'node_modules', name, 'package.json'), 'utf8')).version;
      for (const name of [...NEST_PACKAGES, '@nestjs/jwt']) {
        expect(`${name}@${installed(name)}`).toMatch(new RegExp(`^${name}@${cliMajor}\\.`));
      }
      expect(installed('nestjs-ws-auth')).toBe('0.1.0');
      const tools = [...NEST_PACKAGES, '@nestjs/jwt', 'ws', 'typescript', runner];
      installedVersions.push(`Nest ${cliMajor} app (@nestjs/cli ${app.cliVersion}): ${tools.map((name) => `${name} ${installed(name)}`).join(', ')}`);
      // A second @nestjs/common under the library would be a second DI container's worth of classes.
      expect(existsSync(join(app.dir, 'node_modules', 'nestjs-ws-auth', 'node_modules', '@nestjs'))).toBe(false);
      expect(existsSync(join(app.dir, 'dist', 'main.js'))).toBe(true);
      expect(existsSync(join(app.dir, 'dist', 'chat.gateway.js'))).toBe(true);
    });

    it('loads one copy of the library whether imported or required', async () => {
      // An app may reach the library both ways (an ESM app with a CommonJS
      // dependency on it): two copies would be two WsAuthModules, two registries of sockets.
      const probe = [
        "import { createRequire } from 'node:module';",
        "const imported = await import('nestjs-ws-auth');",
        "const required = createRequire(process.cwd() + '/')('nestjs-ws-auth');",
        'console.log(JSON.stringify(["WsAuthModule", "WsAuthGuard", "WsAuthAdapter"].map((name) => typeof imported[name] === "function" && imported[name] === required[name])));',
      ].join('\n');
      const { stdout } = await runCommand(process.execPath, ['--input-type=module', '-e', probe], { cwd: app.dir, env, timeoutMs: 30_000 });
      expect(JSON.parse(stdout)).toEqual([true, true, true]);
    });

    it('refuses an upgrade without a credential with 401 before the 101', async () => {
      const answer = await rawUpgrade(url);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="ws"/);
    });

    it('opens a socket for a bearer header, whose handler gets the principal', async () => {
      const socket = await connect(url, { headers: { Authorization: `Bearer ${token()}` } });
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie' } });
      socket.close();
    });

    it('opens a socket for the subprotocol pair and selects access_token, never the token', async () => {
      const socket = await connect(url, { protocols: ['access_token', token()] });
      expect(socket.protocol).toBe('access_token');
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie' } });
      socket.close();
    });

    it('closes a socket with 4401 once its token expires', async () => {
      const now = Math.floor(Date.now() / 1000);
      const socket = await connect(url, { headers: { Authorization: `Bearer ${token({ iat: now, exp: now + 2 })}` } });
      // Bounded, not timed: the close comes within a second of exp.
      await expect(closed(socket, 10_000)).resolves.toEqual(expect.objectContaining({ code: 4401 }));
    }, 15_000);

    it('writes no token to its output', () => {
      expect(tokensSent.length).toBeGreaterThan(0);
      for (const sent of tokensSent) {
        expect(running.output()).not.toContain(sent);
      }
      expect(running.output()).not.toContain(secret);
    });

    it(`passes its own unit tests (npm test, ${runner})`, async () => {
      const run = await times.time(`Nest ${cliMajor}`, 'npm test', () => runAppTests(app, 'test', env));
      expect(run).toEqual({ passed: expect.arrayContaining([expect.stringMatching(/^src\/app\.controller\.spec\.ts > /)]), failed: [], error: undefined });
    }, APP_TEST_TIMEOUT_MS);

    it(`passes the README's e2e test (npm run test:e2e, ${runner})`, async () => {
      const readmeTest = quickStart.files.find((file) => /^test\/.*e2e-spec\.ts$/.test(file.path))!;
      const titles = [...readmeTest.content.matchAll(/\bit\('([^']+)'/g)].map((match) => `${readmeTest.path} > ${match[1]}`);
      expect(titles.length).toBeGreaterThan(0);
      const run = await times.time(`Nest ${cliMajor}`, 'npm run test:e2e', () => runAppTests(app, 'test:e2e', env));
      expect(run).toEqual({ passed: expect.arrayContaining(titles), failed: [], error: undefined });
    }, APP_TEST_TIMEOUT_MS);
  });
});
