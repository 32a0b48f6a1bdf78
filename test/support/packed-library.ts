import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface PackedLibrary {
  /** `nestjs-ws-auth-0.1.0.tgz` */
  filename: string;
  /** Where the tarball was written. */
  path: string;
  /** The paths inside the package, as `npm pack` lists them. */
  files: string[];
}

/**
 * `npm pack` of libs/ws-auth, as a user or a publish would make it: the
 * package's own `prepack` builds it, so the tarball never depends on a build
 * someone ran before.
 */
export function packLibrary(repositoryRoot: string, destination: string): PackedLibrary {
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: join(repositoryRoot, 'libs', 'ws-auth'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // `prepack`'s own output may come first on stdout; the report is the JSON array at the end.
  const [packed] = JSON.parse(output.slice(output.search(/^\[/m)));
  return {
    filename: packed.filename,
    path: join(destination, packed.filename),
    files: packed.files.map((file: { path: string }) => file.path),
  };
}
