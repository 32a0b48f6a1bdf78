import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';
import type { PackedLibrary } from './packed-library.js';
import type { PhaseTimes } from './phase-times.js';
import type { ReadmeCommand, ReadmeSection } from './readme-quick-start.js';
import { runCommand } from './run-command.js';

// Installs dominate; these bound a hung registry, not a slow one.
const INSTALL_TIMEOUT_MS = 300_000;
const STEP_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 30_000;

export interface ScaffoldOptions {
  /** The major of `@nestjs/cli` that generates the app. */
  cliMajor: number;
  /** A folder outside the repository: the CLI and the app go there. */
  workDir: string;
  /** The library as a user gets it. */
  library: PackedLibrary;
  /** The README's quick start: its install commands and whole files. */
  quickStart: ReadmeSection;
  env: NodeJS.ProcessEnv;
  times: PhaseTimes;
}

export interface ScaffoldedApp {
  name: string;
  dir: string;
  /** package.json as `nest new` wrote it, before any install. */
  generatedPackageJson: Record<string, any>;
  /** The version of `@nestjs/cli` that generated it. */
  cliVersion: string;
}

/**
 * A Nest app made as a new user makes one: the CLI of `cliMajor` installed
 * from the registry, `nest new`, `npm install`, then the README's quick start
 * followed literally (its `npm` commands for this major, its files written as
 * they stand), and the app's own `npm run build`.
 */
export async function scaffoldFromReadme(options: ScaffoldOptions): Promise<ScaffoldedApp> {
  const { cliMajor, workDir, env, times } = options;
  const subject = `Nest ${cliMajor}`;
  const name = `app-nest${cliMajor}`;
  const dir = join(workDir, name);
  const cliPrefix = join(workDir, `cli-${cliMajor}`);
  const npm = (args: string[], cwd = dir, timeoutMs = INSTALL_TIMEOUT_MS) => runCommand('npm', args, { cwd, env, timeoutMs });

  mkdirSync(cliPrefix, { recursive: true });
  await times.time(subject, 'CLI install', () => npm(['i', '--prefix', cliPrefix, `@nestjs/cli@${cliMajor}`], workDir));
  await times.time(subject, 'nest new', () =>
    runCommand(join(cliPrefix, 'node_modules', '.bin', 'nest'), ['new', name, '--skip-install', '--skip-git', '--package-manager', 'npm'], {
      cwd: workDir,
      env,
      timeoutMs: STEP_TIMEOUT_MS,
    }),
  );
  const generatedPackageJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  await times.time(subject, 'npm install', () => npm(['install']));

  // The README installs `./<tarball>` from the app's folder.
  copyFileSync(options.library.path, join(dir, options.library.filename));
  const quickStart = commandsFor(options.quickStart.commands, cliMajor);
  const setup = quickStart.filter((command) => command.subsection === '');
  const testing = quickStart.filter((command) => command.subsection !== '');
  const tarballArg = `./${options.library.filename}`;
  if (!setup.some((command) => command.npmArgs.includes(tarballArg))) {
    throw new Error(`The README's quick start installs no ${tarballArg} for Nest ${cliMajor}: ${JSON.stringify(setup)}`);
  }
  await times.time(subject, 'README install', async () => {
    for (const command of setup) await npm(command.npmArgs);
  });
  for (const file of options.quickStart.files) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
  await times.time(subject, 'README test deps', async () => {
    for (const command of testing) await npm(command.npmArgs);
  });
  await times.time(subject, 'npm run build', () => npm(['run', 'build'], dir, STEP_TIMEOUT_MS));
  const cliVersion = JSON.parse(readFileSync(join(cliPrefix, 'node_modules', '@nestjs', 'cli', 'package.json'), 'utf8')).version;
  return { name, dir, generatedPackageJson, cliVersion };
}

/**
 * The commands a user of this Nest major runs: those without a label and
 * those labelled `Nest <major>`; one labelled for another major is skipped.
 */
export function commandsFor(commands: ReadmeCommand[], major: number): ReadmeCommand[] {
  return commands.filter(({ label }) => {
    const forMajor = /^Nest (\d+)$/.exec(label);
    return !forMajor || Number(forMajor[1]) === major;
  });
}

export interface RunningApp {
  port: number;
  /** Everything the app has written to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the built app as its `start:prod` script does, on a free port, and resolves once Nest says it has started. */
export async function startApp(app: ScaffoldedApp, env: NodeJS.ProcessEnv): Promise<RunningApp> {
  const script: string = JSON.parse(readFileSync(join(app.dir, 'package.json'), 'utf8')).scripts['start:prod'];
  const [program, ...args] = script.split(/\s+/);
  if (program !== 'node') {
    throw new Error(`${app.name}'s start:prod is "${script}"; this harness starts "node ..." scripts only`);
  }
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, args, { cwd: app.dir, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${app.name} did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Nest application successfully started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${app.name} exited with ${code ?? signal} before it started:\n${output}`));
    });
  });
  return {
    port,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

export interface AppTestRun {
  /** `file > title` of each test that passed, file relative to the app. */
  passed: string[];
  failed: string[];
  /** Set when the command itself failed: its output's tail. */
  error?: string;
}

/**
 * Runs one of the app's own test scripts (`test`, `test:e2e`) with its own
 * runner, and reads which tests passed from the runner's JSON report: an exit
 * code alone would also be 0 for a run that found no tests.
 */
export async function runAppTests(app: ScaffoldedApp, script: string, env: NodeJS.ProcessEnv): Promise<AppTestRun> {
  const command: string = JSON.parse(readFileSync(join(app.dir, 'package.json'), 'utf8')).scripts[script];
  const report = join(app.dir, `${script.replace(/\W/g, '-')}-report.json`);
  // Both runners write a report of the same shape; each asks for it its own way.
  const reportArgs = /^vitest\b/.test(command)
    ? ['--reporter=default', '--reporter=json', `--outputFile.json=${report}`]
    : /^jest\b/.test(command)
      ? ['--json', `--outputFile=${report}`]
      : undefined;
  if (!reportArgs) {
    throw new Error(`${app.name}'s "${script}" script is "${command}": neither vitest nor jest`);
  }
  let error: string | undefined;
  try {
    await runCommand('npm', ['run', script, '--', ...reportArgs], { cwd: app.dir, env, timeoutMs: STEP_TIMEOUT_MS });
  } catch (failure) {
    error = (failure as Error).message;
  }
  const run: AppTestRun = { passed: [], failed: [], error };
  let results: { testResults: Array<{ name: string; assertionResults: Array<{ title: string; status: string }> }> };
  try {
    results = JSON.parse(readFileSync(report, 'utf8'));
  } catch {
    return { ...run, error: error ?? `${script} wrote no report` };
  }
  for (const file of results.testResults) {
    const relative = file.name.slice(app.dir.length + 1);
    for (const test of file.assertionResults) {
      (test.status === 'passed' ? run.passed : run.failed).push(`${relative} > ${test.title}`);
    }
  }
  return run;
}
