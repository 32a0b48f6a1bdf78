import { Module } from '@nestjs/common';
import { JwtModule, JwtService, type JwtModuleOptions } from '@nestjs/jwt';
import { JwtVerifier, WsAuthModule } from 'nestjs-ws-auth';
import { startTestApp, type RunningTestApp } from './support/guarded-test-app.js';
import { signHs } from './support/tokens.js';
import { ask, connect, rawUpgrade } from './support/ws-client.js';

const SECRET = 'jwt-module-e2e-secret-of-at-least-32-bytes';
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const now = () => Math.floor(Date.now() / 1000);

/** Stands in for @nestjs/config: where an app reads its secret from. */
const APP_CONFIG = Symbol('APP_CONFIG');
interface AppConfig {
  jwtSecret: string;
}
@Module({ providers: [{ provide: APP_CONFIG, useValue: { jwtSecret: SECRET } satisfies AppConfig }], exports: [APP_CONFIG] })
class AppConfigModule {}

/** The one place the JwtModule's options are written; the verifier reads the same object. */
const jwtOptionsOf = (config: AppConfig): JwtModuleOptions => ({
  secret: config.jwtSecret,
  signOptions: { algorithm: 'HS256', expiresIn: 300, issuer: 'https://chat.example', audience: 'chat' },
  verifyOptions: { issuer: 'https://chat.example', audience: 'chat', clockTolerance: 5 },
});

/**
 * An app that signs with `@nestjs/jwt` and authenticates sockets with the
 * same JwtModule options: the secret written once, in both the register and
 * the registerAsync shapes a Nest app uses.
 */
describe('JwtVerifier.fromJwtModuleOptions in a real Nest app', () => {
  const apps: RunningTestApp[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  describe.each([
    [
      'JwtModule.register + WsAuthModule.forRoot',
      () => {
        const jwtOptions = jwtOptionsOf({ jwtSecret: SECRET });
        return { imports: [JwtModule.register(jwtOptions)], authModule: WsAuthModule.forRoot({ verifiers: [JwtVerifier.fromJwtModuleOptions(jwtOptions)] }) };
      },
    ],
    [
      'JwtModule.registerAsync + WsAuthModule.forRootAsync, both from one config provider',
      () => ({
        imports: [JwtModule.registerAsync({ imports: [AppConfigModule], inject: [APP_CONFIG], useFactory: jwtOptionsOf })],
        authModule: WsAuthModule.forRootAsync({
          imports: [AppConfigModule],
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({ verifiers: [JwtVerifier.fromJwtModuleOptions(jwtOptionsOf(config))] }),
        }),
      }),
    ],
  ])('%s', (_, wiring) => {
    let app: RunningTestApp;
    let jwt: JwtService;

    beforeAll(async () => {
      app = await startTestApp(wiring());
      apps.push(app);
      jwt = app.app.get(JwtService, { strict: false });
    });

    it('accepts a token the app signed with JwtService, and answers whoami', async () => {
      const socket = await connect(`${app.ws}/secure`, bearer(jwt.sign({ sub: 'maggie', sid: 's-1' })));
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { subject: 'maggie', source: 'header' } });
      socket.close();
    });

    it('refuses a token signed with another secret', async () => {
      const forged = signHs({ sub: 'maggie', iss: 'https://chat.example', aud: 'chat', iat: now(), exp: now() + 300 }, 'another-secret-of-at-least-32-bytes-long');
      expect((await rawUpgrade(`${app.ws}/secure`, [['Authorization', `Bearer ${forged}`]])).status).toBe(401);
    });

    it("enforces the module's verifyOptions: another audience is refused", async () => {
      const otherAudience = jwt.sign({ sub: 'maggie' }, { audience: 'billing' });
      expect((await rawUpgrade(`${app.ws}/secure`, [['Authorization', `Bearer ${otherAudience}`]])).status).toBe(401);
    });

    it("enforces the module's algorithm: HS384 with the same secret is refused", async () => {
      const hs384 = signHs({ sub: 'maggie', iss: 'https://chat.example', aud: 'chat', iat: now(), exp: now() + 300 }, SECRET, { alg: 'HS384', typ: 'JWT' });
      expect((await rawUpgrade(`${app.ws}/secure`, [['Authorization', `Bearer ${hs384}`]])).status).toBe(401);
    });
  });
});
