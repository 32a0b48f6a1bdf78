import type { INestApplication } from '@nestjs/common';
import { createChatApp } from '../../apps/chat/src/chat.app.js';
import { loadChatConfig, type ChatConfig } from '../../apps/chat/src/chat.config.js';
import request from 'supertest';
import { eventually } from './eventually.js';
import { freePort } from './free-port.js';
import { LogCapture } from './log-capture.js';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256!';

export interface RunningChatApp {
  app: INestApplication;
  config: ChatConfig;
  /** `http://127.0.0.1:PORT` */
  http: string;
  /** `ws://127.0.0.1:PORT` */
  ws: string;
  /** An Origin on the app's default allowlist. */
  origin: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/** Starts the sample app on a free loopback port, configured as `npm start` would be from `env`, its log captured. */
export async function startChatApp(env: Record<string, string> = {}): Promise<RunningChatApp> {
  const port = await freePort();
  const config = loadChatConfig({ JWT_SECRET: TEST_SECRET, PORT: String(port), ...env });
  const logs = new LogCapture();
  const app = await createChatApp(config, logs.logger());
  await app.listen(port, '127.0.0.1');
  return {
    app,
    config,
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    logs,
    close: () => app.close(),
  };
}

/** Resolves once every instance mints a ticket for `token`: its Redis client is connected and serving. */
export async function untilRedisServes(instances: RunningChatApp[], token: string): Promise<void> {
  await eventually(async () => {
    for (const chat of instances) {
      await request(chat.http).post('/auth/ticket').set('Authorization', `Bearer ${token}`).expect(200);
    }
  });
}
