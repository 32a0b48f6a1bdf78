import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: never a browser downloaded by a test tool. */
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps calling home, and
// this machine's closed network refuses every one of those connections.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

let availability: boolean | undefined;

/**
 * Whether the browser tests can run. Outside CI a missing Chromium skips them
 * with one loud line; under `CI=true` it fails the run: CI never passes by skipping.
 */
export function chromiumAvailable(): boolean {
  if (availability === undefined) {
    availability = existsSync(CHROMIUM);
    if (!availability) {
      const why = `${CHROMIUM} was not found`;
      if (process.env.CI === 'true') {
        throw new Error(`Browser tests cannot run: ${why}. CI must install chromium (see .ci/run).`);
      }
      process.stderr.write(`!!! SKIPPING the browser tests: ${why}; install it (apt-get install chromium) to run them\n`);
    }
  }
  return availability;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}
