import { createRequire } from 'node:module';
import { WsAuthConfigurationError } from './ws-auth-configuration.error.js';

// The library is a CommonJS build, where `require` is this module's own; only
// this repository's tests run these sources as ESM, from the repository's root.
const load: NodeJS.Require = typeof require === 'function' ? require : createRequire(`${process.cwd()}/package.json`);

/**
 * Loads an optional peer (a CommonJS package) when a feature that needs it is
 * configured, never with the library: an app that does not use the feature
 * need not install it. Says what to install when it is missing.
 */
export function loadOptionalPeer<T>(name: string, feature: string): T {
  try {
    return load(name) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new WsAuthConfigurationError(`${feature} needs the optional peer "${name}": npm install ${name}`, { cause: error });
    }
    throw error;
  }
}
