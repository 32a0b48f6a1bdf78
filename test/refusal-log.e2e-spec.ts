import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startChatApp, type RunningChatApp } from './support/chat-app.js';
import { rawUpgrade } from './support/ws-client.js';

/**
 * What a refused handshake costs the log (the default audit log, at debug):
 * a client chooses its Origin and how often it is refused, so neither may
 * choose how much is written.
 */
describe('the log of refused handshakes is bounded per line and per second', () => {
  let chat: RunningChatApp;

  beforeAll(async () => {
    chat = await startChatApp();
  });
  afterAll(() => chat?.close());

  it('Origins of 10 KB, 400 times: each line repeats at most 100 characters of it, escaped, and at most 100 lines a second are written', async () => {
    const REQUESTS = 400;
    const before = chat.logs.lines.length;
    const started = Date.now();
    const answers: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      // A foreign Origin is refused with 403 and logged. U+2028 (a line break to some log viewers) and a quote must come out escaped.
      const origin = `https://evil.example/${i}\u2028"forged line`.padEnd(10_000, 'o');
      answers.push((await rawUpgrade(`${chat.ws}/chat`, [['Origin', Buffer.from(origin, 'utf8').toString('latin1')]])).status);
    }
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const refusalLines = () => chat.logs.lines.slice(before).filter((line) => line.includes('Handshake refused on /chat: origin_not_allowed'));
    const lines = refusalLines();
    const bytes = lines.reduce((sum, line) => sum + line.length, 0);
    process.stdout.write(`measured: ${REQUESTS} refusals with 10 KB Origins in ${seconds} s wrote ${lines.length} lines, ${bytes} bytes, the longest ${Math.max(...lines.map((line) => line.length))}\n`);
    expect(new Set(answers)).toEqual(new Set([403]));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(100 * seconds);
    expect(lines.filter((line) => !(line.length < 400 && /^[\x20-\x7e]*$/.test(line) && line.includes(' chars)')))).toEqual([]);

    // A second later, the next refusal's line says how many were not written.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await rawUpgrade(`${chat.ws}/chat`, [['Origin', 'https://evil.example']]);
    const reported = refusalLines()
      .map((line) => Number(/\((\d+) earlier lines not logged/.exec(line)?.[1] ?? 0))
      .reduce((sum, count) => sum + count, 0);
    expect(reported).toBe(REQUESTS - lines.length);
  });
});
