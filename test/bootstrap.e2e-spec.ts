import { UseGuards } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { JwtVerifier, WsAuth, WsAuthAdapter, WsAuthGuard } from 'nestjs-ws-auth';
import { loadChatConfig } from '../apps/chat/src/chat.config.js';
import { createTestApp, SecureGateway } from './support/guarded-test-app.js';

const auth = { verifiers: [new JwtVerifier({ secret: 'bootstrap-test-secret-0123456789abcdef' })] };

/** Misconfiguration must stop the app, never leave a guarded gateway open. */
describe('bootstrap checks', () => {
  it('refuses to start a guarded gateway served by a plain WsAdapter', async () => {
    const { app } = await createTestApp({ auth, adapter: 'plain', gateways: [SecureGateway] });
    await expect(app.init()).rejects.toThrow(/SecureGateway is guarded with WsAuthGuard, but the app's WebSocket adapter is not WsAuthAdapter/);
    await app.close().catch(() => undefined);
  });

  it('refuses @WsAuth() on a gateway without the guard', async () => {
    @WsAuth({ sources: ['header'] })
    @WebSocketGateway({ path: '/forgotten' })
    class ForgottenGuardGateway {}

    const { app } = await createTestApp({ auth, gateways: [ForgottenGuardGateway] });
    await expect(app.init()).rejects.toThrow(/ForgottenGuardGateway has @WsAuth\(\) but no @UseGuards\(WsAuthGuard\)/);
    await app.close().catch(() => undefined);
  });

  it('refuses WsAuthAdapter in an app without WsAuthModule', async () => {
    const { app } = await createTestApp({ adapter: 'none', gateways: [] });
    expect(() => new WsAuthAdapter(app)).toThrow(/needs WsAuthModule.forRoot\(\)/);
    await app.close();
  });

  it('refuses a module without verifiers', async () => {
    await expect(createTestApp({ auth: { verifiers: [] }, gateways: [] })).rejects.toThrow(/at least one verifier/);
  });

  it('refuses a JwtVerifier whose secret is unset, without a raw TypeError', () => {
    expect(() => new JwtVerifier({ secret: process.env.WS_AUTH_TEST_UNSET_SECRET! })).toThrow(
      /^ws-auth: JwtVerifier secret must be a string or a Buffer, got undefined/,
    );
  });

  it('stops the sample app for a JWT_SECRET shorter than HS256 needs, naming the variable and not its value', () => {
    const secret = 'only-twenty-two-bytes!';
    expect(() => loadChatConfig({ JWT_SECRET: secret })).toThrow(/^JWT_SECRET is 22 bytes: an HS256 secret needs at least 32/);
    expect(() => loadChatConfig({ JWT_SECRET: secret })).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
    expect(loadChatConfig({ JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
  });

  it('starts when every guarded gateway is served by WsAuthAdapter', async () => {
    @UseGuards(WsAuthGuard)
    @WebSocketGateway({ path: '/other' })
    class OtherGateway {}

    const { app } = await createTestApp({ auth, gateways: [SecureGateway, OtherGateway] });
    await expect(app.init()).resolves.toBe(app);
    await app.close();
  });
});
