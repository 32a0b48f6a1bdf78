import { readFileSync } from 'node:fs';

/** A whole file of the README: a fenced block whose first line is a comment naming its path. */
export interface ReadmeFile {
  /** Relative to the app's root, e.g. `src/chat.gateway.ts`. */
  path: string;
  /** The block as written, the naming comment included: what a user copies. */
  content: string;
  /** The `###` subsection the block sits in, or `''` for the section's own text. */
  subsection: string;
}

/** An `npm` command of a README shell block, with the `# ...` comment line above it, if any. */
export interface ReadmeCommand {
  /** The comment line right above the command, without `#` (`Nest 11`), or `''`. */
  label: string;
  /** The command's arguments after `npm`, split on whitespace. */
  npmArgs: string[];
  subsection: string;
}

export interface ReadmeSection {
  files: ReadmeFile[];
  commands: ReadmeCommand[];
}

const FENCE = /^```([\w-]*)\s*$/;
const PATH_COMMENT = /^\/\/ ((?:src|test)\/[\w./-]+)\s*$/;

/**
 * Reads the files and the `npm` commands of one `## ` section of a README,
 * so tests can build an app from exactly what a user would copy.
 *
 * The convention it parses: a fenced block whose first line is `// PATH`
 * (`// src/main.ts`) is that whole file; in a `bash` block, each line that
 * starts with `npm ` is a command, labelled by the `# ...` line right above it.
 */
export function readReadmeSection(readmePath: string, heading: string): ReadmeSection {
  const lines = readFileSync(readmePath, 'utf8').split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start === -1) {
    throw new Error(`${readmePath} has no "## ${heading}" section`);
  }
  const files: ReadmeFile[] = [];
  const commands: ReadmeCommand[] = [];
  let subsection = '';
  for (let index = start + 1; index < lines.length; index++) {
    const line = lines[index];
    if (/^## /.test(line)) break;
    const heading3 = /^### (.+)$/.exec(line);
    if (heading3) {
      subsection = heading3[1].trim();
      continue;
    }
    const fence = FENCE.exec(line);
    if (!fence) continue;
    const close = lines.findIndex((candidate, at) => at > index && candidate.trim() === '```');
    if (close === -1) {
      throw new Error(`${readmePath}: the code block opened on line ${index + 1} is never closed`);
    }
    const body = lines.slice(index + 1, close);
    const named = PATH_COMMENT.exec(body[0] ?? '');
    if (named) {
      files.push({ path: named[1], content: body.join('\n') + '\n', subsection });
    } else if (fence[1] === 'bash' || fence[1] === 'sh') {
      body.forEach((command, at) => {
        if (!/^npm\s/.test(command)) return;
        const above = at > 0 ? /^#\s*(.*)$/.exec(body[at - 1]) : null;
        commands.push({ label: above ? above[1].trim() : '', npmArgs: command.trim().split(/\s+/).slice(1), subsection });
      });
    }
    index = close;
  }
  const paths = files.map((file) => file.path);
  const repeated = paths.find((path, at) => paths.indexOf(path) !== at);
  if (repeated) {
    throw new Error(`${readmePath}: "## ${heading}" names ${repeated} twice`);
  }
  return { files, commands };
}
