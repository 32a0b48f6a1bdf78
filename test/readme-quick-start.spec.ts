import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandsFor } from './support/nest-scaffold.js';
import { readReadmeSection } from './support/readme-quick-start.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The scaffold test builds apps from what this parser reads out of the
 * README; these checks run without the registry, so a README edit that breaks
 * the convention fails here even where the scaffold test is skipped.
 */
describe('the README quick start convention', () => {
  it('yields the whole files and the install commands of both Nest majors', () => {
    const quickStart = readReadmeSection(join(root, 'README.md'), 'Quick start');
    expect(quickStart.files.map((file) => file.path).sort()).toEqual(
      ['src/app.module.ts', 'src/chat.gateway.ts', 'src/main.ts', 'test/app.e2e-spec.ts', 'test/jest-e2e.json'],
    );
    for (const major of [11, 12]) {
      const install = commandsFor(quickStart.commands, major).filter((command) => command.subsection === '');
      expect(install).toEqual([expect.objectContaining({ label: `Nest ${major}` })]);
      expect(install[0].npmArgs).toEqual(expect.arrayContaining([`@nestjs/websockets@^${major}`, `@nestjs/platform-ws@^${major}`, `@nestjs/jwt@^${major}`, 'ws']));
    }
  });

  it('writes relative imports with .js, as an ESM app compiled with nodenext needs', () => {
    const quickStart = readReadmeSection(join(root, 'README.md'), 'Quick start');
    const relativeImports = quickStart.files.flatMap((file) => [...file.content.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((match) => match[1]));
    expect(relativeImports.length).toBeGreaterThan(0);
    expect(relativeImports.filter((specifier) => !specifier.endsWith('.js'))).toEqual([]);
  });

  describe('the parser', () => {
    let dir: string;
    const write = (text: string) => {
      const path = join(dir, 'README.md');
      writeFileSync(path, text);
      return path;
    };

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'readme-'));
    });

    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('reads only the named section, and labels commands and files by subsection', () => {
      const readme = write(
        [
          '## Quick start', '```bash', '# Nest 12', 'npm i a@^12', 'cd app', '```',
          '```ts', '// src/a.ts', 'export const a = 1;', '```',
          '```ts', 'not a file: no path comment', '```',
          '### Testing your app', '```bash', 'npm i -D b', '```',
          '## Next', '```ts', '// src/b.ts', '```',
        ].join('\n'),
      );
      expect(readReadmeSection(readme, 'Quick start')).toEqual({
        files: [{ path: 'src/a.ts', content: '// src/a.ts\nexport const a = 1;\n', subsection: '' }],
        commands: [
          { label: 'Nest 12', npmArgs: ['i', 'a@^12'], subsection: '' },
          { label: '', npmArgs: ['i', '-D', 'b'], subsection: 'Testing your app' },
        ],
      });
    });

    it('refuses a missing section, an unclosed block and a file named twice', () => {
      expect(() => readReadmeSection(write('# Title\n'), 'Quick start')).toThrow('no "## Quick start" section');
      expect(() => readReadmeSection(write('## Quick start\n```ts\n// src/a.ts\n'), 'Quick start')).toThrow('never closed');
      expect(() => readReadmeSection(write('## Quick start\n```ts\n// src/a.ts\n```\n```ts\n// src/a.ts\n```\n'), 'Quick start')).toThrow('names src/a.ts twice');
    });

    it('keeps only unlabelled commands and those of the given major', () => {
      const commands = ['Nest 11', 'Nest 12', ''].map((label) => ({ label, npmArgs: [label], subsection: '' }));
      expect(commandsFor(commands, 11).map((command) => command.label)).toEqual(['Nest 11', '']);
    });
  });
});
