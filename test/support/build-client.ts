import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Compiles the browser client the page loads (`/js/ws-auth-client.js`), as `npm start` does. */
export function buildClient(): void {
  execFileSync('npx', ['tsc', '-p', 'libs/ws-auth-client/tsconfig.json'], { cwd: root, stdio: 'pipe' });
}
