import type { IncomingMessage } from 'node:http';
import { HttpException } from '@nestjs/common';
import { WsAuthError } from '../ws-auth.errors.js';
import type { WsTokenVerifier, WsVerifiedToken } from '../interfaces/token-verifier.interface.js';
import { DEFAULT_CLOCK_TOLERANCE_SEC } from '../ws-auth.constants.js';
import { assertIssuedInPast, scopesFromClaims } from './claims.js';
import { decodeCompactJws } from './compact-jws.js';

type PassportModule = typeof import('passport');

export interface PassportVerifierOptions<TPrincipal> {
  /**
   * Reads what the socket needs from the user that `validate()` returned and
   * the token's claims (empty for an opaque token). Default: the subject from
   * the user's `sub`, `id` or `userId`, else the token's `sub`; `sid`, `scope`
   * and `exp` from the token, so the socket still dies when the token expires.
   */
  describe?: (user: TPrincipal, claims: Record<string, unknown>) => Omit<WsVerifiedToken<TPrincipal>, 'principal'>;
  /** Seconds of leeway on `iat`, which strategies such as passport-jwt leave unchecked. Default 5. */
  clockToleranceSec?: number;
}

/**
 * Runs an existing passport strategy (e.g. the Nest docs'
 * `JwtStrategy extends PassportStrategy(Strategy)`) on the token, whatever
 * source it came from: the strategy sees it as `Authorization: Bearer`, so
 * it must read that header (`ExtractJwt.fromAuthHeaderAsBearerToken()`).
 * What `validate()` returns becomes the principal.
 */
export class PassportVerifier<TPrincipal = Record<string, unknown>> implements WsTokenVerifier<TPrincipal> {
  private passport?: Promise<PassportModule>;

  constructor(
    private readonly strategy: string,
    private readonly options: PassportVerifierOptions<TPrincipal> = {},
  ) {}

  async verify(token: string, request: IncomingMessage): Promise<WsVerifiedToken<TPrincipal> | null> {
    const passport = await this.loadPassport();
    const user = await new Promise<TPrincipal>((resolve, reject) => {
      // A view of the upgrade request whose only credential is this token.
      const view = Object.create(request, {
        headers: { value: { ...request.headers, authorization: `Bearer ${token}` } },
      }) as IncomingMessage;
      const callback = (error: unknown, found: TPrincipal | false) => {
        if (error) {
          reject(PassportVerifier.toAuthError(error));
        } else if (!found) {
          reject(new WsAuthError('invalid_token', 'The passport strategy refused the token'));
        } else {
          resolve(found);
        }
      };
      passport.authenticate(this.strategy, { session: false }, callback)(view, undefined, (error?: unknown) =>
        reject(error ? PassportVerifier.toAuthError(error) : new WsAuthError('invalid_token')),
      );
    });
    const claims = decodeCompactJws(token)?.claims ?? {}; // verified by the strategy; read here, not judged again
    // passport-jwt checks exp and nbf, not iat; a future iat would escape revokeSubject().
    assertIssuedInPast(claims, this.options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC);
    return { principal: user, ...(this.options.describe ?? describeUser)(user, claims) };
  }

  /** `validate()` throwing 401/403 refuses the token; anything else means the strategy could not decide. */
  private static toAuthError(error: unknown): WsAuthError {
    if (error instanceof WsAuthError) {
      return error;
    }
    if (error instanceof HttpException && [401, 403].includes(error.getStatus())) {
      return new WsAuthError('invalid_token', 'The passport strategy refused the token', { cause: error });
    }
    return new WsAuthError('unavailable', 'The passport strategy failed', { cause: error });
  }

  private loadPassport(): Promise<PassportModule> {
    // passport is an optional peer: loaded only by apps that use this verifier,
    // and the same instance @nestjs/passport registers strategies on.
    this.passport ??= import('passport').then((module) => ((module as { default?: PassportModule }).default ?? module) as PassportModule);
    return this.passport;
  }
}

function describeUser(user: unknown, claims: Record<string, unknown>): Omit<WsVerifiedToken, 'principal'> {
  const record = (user ?? {}) as Record<string, unknown>;
  const subject = [record.sub, record.id, record.userId, claims.sub].find(
    (value) => typeof value === 'string' || typeof value === 'number',
  );
  if (subject === undefined) {
    throw new WsAuthError('invalid_token', 'The passport user has no subject (sub, id or userId)');
  }
  return {
    subject: String(subject),
    sessionId: typeof claims.sid === 'string' ? claims.sid : undefined,
    scopes: scopesFromClaims(claims),
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
    issuedAt: typeof claims.iat === 'number' ? claims.iat * 1000 : undefined,
  };
}
