import { JwtVerifier } from 'nestjs-ws-auth';
import { BENCH_JWT_SECRET } from '../support/bench-credentials.js';

/**
 * The own-token verifier of every ws-auth bench server, and of the floor
 * that calls it alone: one definition, so the floor counts exactly the
 * verification the ws-auth server does.
 */
export function benchJwtVerifier(): JwtVerifier {
  return new JwtVerifier({ secret: BENCH_JWT_SECRET, algorithms: ['HS256'], requiredClaims: ['sub', 'sid', 'iat', 'exp'] });
}
