import type { IncomingMessage } from 'node:http';
import { expect } from '@jest/globals';
import { WsAuthError } from '../../libs/ws-auth/src/ws-auth.errors.js';

/** Headers Node joins when repeated (the rest keep their first value, as Node's `authorization` does). */
const JOINED: Record<string, string> = { cookie: '; ', 'sec-websocket-protocol': ', ' };

/**
 * A minimal upgrade request for unit specs: `rawHeaders` as Node gives it (a
 * flat name, value list), `headers` derived from it the way Node derives them.
 */
export function fakeUpgrade(rawHeaders: string[] = [], url = '/'): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1];
    headers[name] = headers[name] !== undefined && JOINED[name] ? `${headers[name]}${JOINED[name]}${value}` : (headers[name] ?? value);
  }
  return { headers, rawHeaders, url } as unknown as IncomingMessage;
}

/** The `WsAuthError` that `run` throws; fails the test when it throws nothing or something else. */
export function thrownWsAuthError(run: () => unknown): WsAuthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WsAuthError);
    return error as WsAuthError;
  }
  throw new Error('expected a WsAuthError, nothing was thrown');
}
