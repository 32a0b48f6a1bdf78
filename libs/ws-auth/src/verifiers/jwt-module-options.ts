import { KeyObject } from 'node:crypto';
import type { JwtModuleOptions } from '@nestjs/jwt';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import type { AsymmetricAlgorithm, HmacAlgorithm, JwtVerifierOptions } from './jwt.verifier.js';

/** What `JwtVerifier.fromJwtModuleOptions` takes besides the `JwtModule`'s options. */
export type JwtModuleVerifierOptions<TPrincipal> = Pick<
  JwtVerifierOptions<TPrincipal>,
  'requiredClaims' | 'toPrincipal' | 'cacheMaxEntries' | 'clockToleranceSec'
>;

/** jsonwebtoken verify options that would loosen or add checks this verifier does not make: refused, never ignored. */
const UNSUPPORTED_VERIFY_OPTIONS = ['ignoreExpiration', 'ignoreNotBefore', 'maxAge', 'subject', 'jwtid', 'nonce', 'allowInvalidAsymmetricKeyTypes'] as const;

/**
 * The `JwtVerifier` options that verify what a `JwtModule` with these
 * options signs: its `secret` (or `publicKey`), the algorithms of
 * `verifyOptions.algorithms` (else the one of `signOptions.algorithm`, else
 * HS256 for a secret), and `verifyOptions`' issuer, audience and clock
 * tolerance. `@nestjs/jwt` exports its module options token to no one, so
 * the app hands the same options object to both (README, "Tokens signed by
 * your JwtModule"). Anything this verifier cannot honour fails here, at
 * bootstrap, rather than being dropped.
 */
export function jwtVerifierOptionsFromModule<TPrincipal>(
  module: JwtModuleOptions,
  extra: JwtModuleVerifierOptions<TPrincipal> = {},
): JwtVerifierOptions<TPrincipal> {
  if (typeof module !== 'object' || module === null) {
    throw new WsAuthConfigurationError('JwtVerifier.fromJwtModuleOptions needs the options given to JwtModule.register');
  }
  if (module.secretOrKeyProvider) {
    throw new WsAuthConfigurationError('JwtVerifier cannot use a JwtModule secretOrKeyProvider: pass the key it returns as secret or publicKey');
  }
  const verify = module.verifyOptions ?? {};
  for (const name of UNSUPPORTED_VERIFY_OPTIONS) {
    if (verify[name] !== undefined && verify[name] !== false) {
      throw new WsAuthConfigurationError(`JwtVerifier does not take the JwtModule verifyOptions.${name}`);
    }
  }
  if (verify.issuer !== undefined && typeof verify.issuer !== 'string') {
    throw new WsAuthConfigurationError('JwtVerifier takes one verifyOptions.issuer (a string)');
  }
  const audience = verify.audience;
  if (audience !== undefined && !(typeof audience === 'string' || (Array.isArray(audience) && audience.every((value) => typeof value === 'string')))) {
    // A RegExp audience is refused: exact strings only (no pattern to backtrack on).
    throw new WsAuthConfigurationError('JwtVerifier takes verifyOptions.audience as a string or strings, not a RegExp');
  }
  const algorithms = verify.algorithms ?? (module.signOptions?.algorithm ? [module.signOptions.algorithm] : undefined);
  const common = {
    issuer: verify.issuer,
    audience: audience as string | string[] | undefined,
    clockToleranceSec: verify.clockTolerance,
    ...extra,
  };
  if (module.publicKey !== undefined) {
    return { ...common, publicKey: keyBytes(module.publicKey, 'publicKey'), algorithms: (algorithms ?? []) as AsymmetricAlgorithm[] };
  }
  if (module.secret === undefined) {
    throw new WsAuthConfigurationError('JwtVerifier.fromJwtModuleOptions needs a JwtModule secret or publicKey');
  }
  return { ...common, secret: keyBytes(module.secret, 'secret') as string | Buffer, algorithms: algorithms as HmacAlgorithm[] | undefined };
}

/** A jsonwebtoken `Secret` as what JwtVerifier takes; a passphrase-protected key is a private key, never a verification key. */
function keyBytes(value: unknown, name: string): string | Buffer | KeyObject {
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    return value;
  }
  if (value instanceof KeyObject) {
    return value.type === 'secret' ? value.export() : value;
  }
  throw new WsAuthConfigurationError(`JwtVerifier takes the JwtModule ${name} as a string, a Buffer or a KeyObject`);
}
