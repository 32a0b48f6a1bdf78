import { createRequire } from 'node:module';
import { join } from 'node:path';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';

/**
 * Loads an optional peer dependency when it is first needed, so an app that
 * never uses it does not have to install it. The package is a CommonJS build,
 * where `require` resolves from the library's own location; the repository's
 * tests run the sources as ES modules, where there is none and the working
 * directory's resolution stands in.
 */
export function requireOptionalPeer<T>(name: string, neededBy: string): T {
  const load = typeof require === 'function' ? require : createRequire(join(process.cwd(), 'noop.js'));
  try {
    return load(name) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${name}'`)) {
      throw new WsAuthConfigurationError(`${neededBy} needs the optional peer dependency ${name}: npm install ${name}`);
    }
    throw error;
  }
}
