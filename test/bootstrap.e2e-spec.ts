import { UseGuards } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { JwtVerifier, WsAuth, WsAuthAdapter, WsAuthConfigurationError, WsAuthGuard } from 'nestjs-ws-auth';
import { Test } from '@nestjs/testing';
import { loadChatConfig } from '../apps/chat/src/chat.config.js';
import { RedisModule } from '../apps/chat/src/redis/redis.module.js';
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

  it('stops the sample app when both REDIS_URL and REDIS_CLUSTER_NODES are set, repeating neither value', () => {
    const env = { REDIS_URL: 'redis://:hunter2@10.0.0.5:6379', REDIS_CLUSTER_NODES: '10.0.0.11:7000' };
    expect(() => loadChatConfig(env)).toThrow(/^REDIS_URL and REDIS_CLUSTER_NODES are both set/);
    expect(() => loadChatConfig(env)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('hunter2') }));
  });

  it('hands REDIS_CLUSTER_NODES to the library, whose seed check stops the start naming the variable and the entry, never repeating it', async () => {
    expect(loadChatConfig({ REDIS_CLUSTER_NODES: '10.0.0.11:7000,redis-b:7001' }).redis).toEqual({ clusterNodes: '10.0.0.11:7000,redis-b:7001' });
    expect(loadChatConfig({ REDIS_URL: 'redis://10.0.0.5:6379' }).redis).toEqual({ url: 'redis://10.0.0.5:6379' });
    expect(loadChatConfig({}).redis).toBeUndefined();
    for (const [bad, entry] of [
      ['10.0.0.11:7000,redis://:hunter2@10.0.0.12:7000', 2],
      ['10.0.0.11', 1],
      ['10.0.0.11:0', 1],
      ['10.0.0.11:65536', 1],
    ] as const) {
      const starting = Test.createTestingModule({ imports: [RedisModule.forRoot(loadChatConfig({ REDIS_CLUSTER_NODES: bad }).redis)] }).compile();
      const error = await starting.then(() => undefined, (thrown: unknown) => thrown as Error);
      expect(error?.message).toMatch(new RegExp(`^REDIS_CLUSTER_NODES: ws-auth: every Redis Cluster seed must be host:port .*; seed ${entry} is not$`));
      expect(error?.message).not.toContain('hunter2');
    }
    const empty = await Test.createTestingModule({ imports: [RedisModule.forRoot({ clusterNodes: ' , ' })] })
      .compile()
      .then(() => undefined, (thrown: unknown) => thrown as Error);
    expect(empty?.message).toMatch(/^REDIS_CLUSTER_NODES: ws-auth: a Redis Cluster needs at least one seed node/);
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
