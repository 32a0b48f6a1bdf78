import { UseGuards } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { JwtVerifier, WsAuth, WsAuthAdapter, WsAuthConfigurationError, WsAuthGuard } from 'nestjs-ws-auth';
import { createTestApp, SecureGateway } from './support/guarded-test-app.js';

const auth = { verifiers: [new JwtVerifier({ secret: 'bootstrap-test-secret-0123456789abcdef' })] };

/** Misconfiguration must stop the app, never leave a guarded gateway open. */
describe('bootstrap checks', () => {
  it('refuses to start a guarded gateway served by a plain WsAdapter', async () => {
    const { app } = await createTestApp({ auth, adapter: 'plain', gateways: [SecureGateway] });
    await expect(app.init()).rejects.toThrow(/SecureGateway is authenticated with @WsAuth\(\) or WsAuthGuard, but the app's WebSocket adapter is not WsAuthAdapter/);
    await app.close().catch(() => undefined);
  });

  it('refuses a @WsAuth() gateway served by a plain WsAdapter', async () => {
    @WsAuth({ sources: ['header'] })
    @WebSocketGateway({ path: '/marked' })
    class MarkedGateway {}

    const { app } = await createTestApp({ auth, adapter: 'plain', gateways: [MarkedGateway] });
    await expect(app.init()).rejects.toThrow(WsAuthConfigurationError);
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

  it('starts when every guarded gateway is served by WsAuthAdapter', async () => {
    @UseGuards(WsAuthGuard)
    @WebSocketGateway({ path: '/other' })
    class OtherGateway {}

    const { app } = await createTestApp({ auth, gateways: [SecureGateway, OtherGateway] });
    await expect(app.init()).resolves.toBe(app);
    await app.close();
  });
});
