import { spawn } from 'node:child_process';
import { delimiter } from 'node:path';

export interface CommandOutput {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The command is killed, with its children, past this. */
  timeoutMs: number;
}

/**
 * Runs a command to its end and resolves with its output; rejects, with the
 * output's tail, when it fails or outlives `timeoutMs`.
 */
export function runCommand(command: string, args: string[], options: RunOptions): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout ends npm and whatever npm started.
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const why = timedOut ? `did not finish within ${options.timeoutMs} ms` : `exited with ${code ?? signal}`;
      const tail = (stdout + '\n' + stderr).trim().split('\n').slice(-40).join('\n');
      reject(new Error(`\`${[command, ...args].join(' ')}\` in ${options.cwd} ${why}:\n${tail}`));
    });
  });
}

/**
 * The environment of a user's shell, as near as a test can make it: without
 * what `npm test` and jest set for the repository's own run (`npm_*`
 * settings, `NODE_ENV=test`, the repository's `node_modules/.bin` on PATH),
 * which would otherwise leak into the commands run in a generated app.
 */
export function userShellEnv(repositoryRoot: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) || name === 'NODE_ENV' || name === 'INIT_CWD' || name.startsWith('JEST_') || name === 'FORCE_COLOR') continue;
    env[name] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.startsWith(repositoryRoot))
    .join(delimiter);
  // Plain output, so failures quote readable lines.
  env.NO_COLOR = '1';
  return { ...env, ...extra };
}
