import type { Server } from 'node:http';
import { expect } from '@jest/globals';
import request from 'supertest';
import type { LogCapture } from '../support/log-capture.js';
import { ask, connect, rawUpgrade, type UpgradeAnswer, type WsConnectOptions } from '../support/ws-client.js';

/**
 * The exact answers of the security catalogue. The realm is the library's
 * default (`ws`), which the sample app keeps; `WWW-Authenticate` and
 * `Retry-After` are compared whole, and their absence is part of the answer.
 */
export interface ExpectedAnswer {
  readonly status: number;
  readonly challenge?: string;
  readonly retryAfter?: string;
  /**
   * Node refuses the request head itself, before any app code runs: the
   * upgrade never reaches the app, and the client may see the connection
   * reset instead of the status (see `Answer.refusedByNode`).
   */
  readonly refusedByNode?: true;
}

export const Answer = {
  /** 101 Switching Protocols: the handshake was accepted. */
  switched: { status: 101 },
  /** No credential (RFC 6750 §3: no error attribute). */
  bareChallenge: { status: 401, challenge: 'Bearer realm="ws"' },
  invalidToken: { status: 401, challenge: 'Bearer realm="ws", error="invalid_token"' },
  invalidRequest: { status: 400, challenge: 'Bearer realm="ws", error="invalid_request"' },
  /** A foreign Origin: no challenge, a credential would not help. */
  forbidden: { status: 403 },
  unavailable: { status: 503, retryAfter: '1' },
  /**
   * Node's own refusal of a request head over `maxHeaderSize` (16 KiB) or,
   * on a Node that refuses rather than drops them, with more header fields
   * than `maxHeadersCount`: `431`, then the connection closed. A client still
   * sending its head when the close comes may read a reset instead of the
   * `431` (seen on Node 24, which closes with the rest unread); both are this answer.
   */
  refusedByNode: { status: 431, refusedByNode: true },
  /** `ws`'s own answer to a `Sec-WebSocket-Protocol` that is not a list of tokens: no challenge. */
  malformedSubprotocols: { status: 400 },
} as const satisfies Record<string, ExpectedAnswer>;

/** The server closed the connection before the client could read an answer. */
export interface ConnectionReset {
  readonly reset: string;
}

/** `rawUpgrade`, with a connection the server reset under the request as an outcome rather than a failure. */
export async function sendUpgrade(url: string, headers: Array<[string, string]>): Promise<UpgradeAnswer | ConnectionReset> {
  try {
    return await rawUpgrade(url, headers);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      return { reset: code };
    }
    throw error;
  }
}

/**
 * Runs `send` and counts the upgrade requests that reached `server`'s
 * `upgrade` listeners (the library's among them) meanwhile: none for a
 * request Node refused itself, which then had no way to a socket.
 */
export async function upgradesReaching<T>(server: Server, send: () => Promise<T>): Promise<{ answer: T; upgrades: number }> {
  let upgrades = 0;
  const count = () => upgrades++;
  server.on('upgrade', count);
  try {
    return { answer: await send(), upgrades };
  } finally {
    server.off('upgrade', count);
  }
}

/** Asserts the whole answer, and that no credential sent with the request comes back in it. */
export function expectAnswer(answer: UpgradeAnswer | ConnectionReset, expected: ExpectedAnswer, ...credentials: string[]): void {
  if ('reset' in answer) {
    // A reset says nothing but "no answer": acceptable only where Node itself refuses the request.
    expect({ reset: answer.reset, refusedByNode: expected.refusedByNode ?? false }).toEqual({ reset: answer.reset, refusedByNode: true });
    return;
  }
  expect({
    status: answer.status,
    challenge: answer.headers['www-authenticate'],
    retryAfter: answer.headers['retry-after'],
  }).toEqual({ status: expected.status, challenge: expected.challenge, retryAfter: expected.retryAfter });
  const echoed = answer.body + JSON.stringify(answer.headers);
  for (const credential of credentials.filter((value) => value.length >= MIN_AUDITED_LENGTH)) {
    expect(echoed).not.toContain(credential);
  }
}

/** Shorter values (`abc`, `Bearer `) are not worth auditing: they occur in any log by chance. */
const MIN_AUDITED_LENGTH = 12;

/**
 * Every credential a test file sends, for the log audit: the raw value and,
 * for a JWT, its signature alone (a log line that printed a token cut to its
 * last segment would still leak what makes it valid). `LogCapture` also
 * looks for each in base64url.
 */
export class SentCredentials {
  private readonly values = new Set<string>();

  /** `secrets`: what signs or proves credentials (a JWT secret), audited like them. */
  constructor(...secrets: string[]) {
    secrets.forEach((secret) => this.add(secret));
  }

  /** Records a credential and hands it back, so a case can write `sent.add(token)` where it uses it. */
  add<T extends string>(value: T): T {
    if (value.length >= MIN_AUDITED_LENGTH) {
      this.values.add(value);
      const signature = value.split('.')[2];
      if (signature && signature.length >= 16) {
        this.values.add(signature);
      }
    }
    return value;
  }

  get size(): number {
    return this.values.size;
  }

  /**
   * Audits the lines of every app of the file together: Nest's static logger
   * is process-wide, so a line of one app may land in another's capture.
   */
  audit(...captures: LogCapture[]): void {
    const secrets = [...this.values];
    expect(secrets.length).toBeGreaterThan(0);
    for (const capture of captures) {
      capture.assertNoneContain(...secrets);
    }
  }
}

/** All captured lines of a file's apps, for checks that the audit looked at something. */
export function allLines(...captures: LogCapture[]): string[] {
  return captures.flatMap((capture) => capture.lines);
}

export async function login(http: string, username = 'maggie', password = 'secret'): Promise<string> {
  const res = await request(http).post('/auth/login').send({ username, password }).expect(200);
  return res.body.access_token as string;
}

export const bearer = (token: string): Array<[string, string]> => [['Authorization', `Bearer ${token}`]];

/**
 * A legitimate client still gets a socket and an answer: the server kept
 * serving others through whatever the case did. `expected` is the `whoami`
 * reply's `data`.
 */
export async function expectStillServes(url: string, options: WsConnectOptions, expected: unknown): Promise<void> {
  const socket = await connect(url, options);
  try {
    await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: expected });
  } finally {
    socket.close();
  }
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
