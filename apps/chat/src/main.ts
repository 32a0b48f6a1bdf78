import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createChatApp } from './chat.app.js';
import { loadChatConfig } from './chat.config.js';

async function bootstrap(): Promise<void> {
  const config = loadChatConfig();
  const app = await createChatApp(config);
  await app.listen(config.port, config.host);
  new Logger('Chat').log(`Listening on http://${config.host}:${config.port}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
