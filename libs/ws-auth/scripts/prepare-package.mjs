// After tsc: marks the CommonJS build as such (this package is "type":
// "module" so that its sources run as ESM in the repository's tests), and puts
// the repository's README and LICENSE beside package.json, where npm packs them.
import { copyFileSync, writeFileSync } from 'node:fs';

const here = new URL('..', import.meta.url);
writeFileSync(new URL('dist/cjs/package.json', here), `${JSON.stringify({ type: 'commonjs' })}\n`);
for (const file of ['README.md', 'LICENSE']) {
  copyFileSync(new URL(`../../${file}`, here), new URL(file, here));
}
