import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportModule, PassportStrategy } from '@nestjs/passport';
import { PassportVerifier } from 'nestjs-ws-auth';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { ownClaims, signHs } from './support/tokens.js';
import { ask, connect, rawUpgrade } from './support/ws-client.js';

const SECRET = 'passport-test-secret-0123456789abcdef';

/** The strategy of the Nest docs' authentication chapter, as an app already has it. */
@Injectable()
class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), ignoreExpiration: false, secretOrKey: SECRET });
  }

  async validate(payload: { sub: string; username?: string; banned?: boolean }) {
    if (payload.banned) {
      throw new UnauthorizedException();
    }
    return { userId: payload.sub, username: payload.username };
  }
}

describe('PassportVerifier: an existing passport strategy judges the token', () => {
  let server: RunningTestApp;
  const token = (claims: Record<string, unknown> = {}) => signHs(ownClaims({ username: 'Maggie Simpson', ...claims }), SECRET);

  beforeAll(async () => {
    server = await startTestApp({
      imports: [PassportModule],
      providers: [JwtStrategy],
      auth: { verifiers: [new PassportVerifier('jwt')] },
    });
  });
  afterAll(() => server?.close());

  it('makes validate()’s return the principal, from the header', async () => {
    const socket = await connect(`${server.ws}/secure`, { headers: { Authorization: `Bearer ${token()}` } });
    await expect(ask(socket, 'whoami')).resolves.toEqual({
      event: 'whoami',
      data: { principal: { userId: 'maggie', username: 'Maggie Simpson' }, subject: 'maggie', source: 'header', scopes: [] },
    });
    socket.close();
  });

  it('runs the strategy on a token that came as a subprotocol, not a header', async () => {
    const socket = await connect(`${server.ws}/secure`, { protocols: ['access_token', token()] });
    await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { subject: 'maggie', source: 'protocol' } });
    socket.close();
  });

  it.each([
    ['a wrong signature', () => signHs(ownClaims(), 'not-the-passport-secret-0123456789')],
    ['an expired token', () => token({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ['validate() throwing UnauthorizedException', () => token({ banned: true })],
    // passport-jwt checks exp and nbf, not iat: the verifier refuses one beyond the 5 s leeway, as JwtVerifier does.
    ['a token issued an hour in the future', () => token({ iat: Math.floor(Date.now() / 1000) + 3600 })],
  ])('answers 401 invalid_token for %s', async (_, make) => {
    const answer = await rawUpgrade(`${server.ws}/secure`, [['Authorization', `Bearer ${make()}`]]);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });
});
