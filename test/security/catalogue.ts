import { expect } from '@jest/globals';
import request from 'supertest';
import type { LogCapture } from '../support/log-capture.js';
import { ask, connect, type UpgradeAnswer, type WsConnectOptions } from '../support/ws-client.js';

/**
 * The exact answers of the security catalogue. The realm is the library's
 * default (`ws`), which the sample app keeps; `WWW-Authenticate` and
 * `Retry-After` are compared whole, and their absence is part of the answer.
 */
export interface ExpectedAnswer {
  readonly status: number;
  readonly challenge?: string;
  readonly retryAfter?: string;
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
  /** Node's own answer to a request head over `maxHeaderSize` (16 KiB): the app never sees it. */
  headersTooLarge: { status: 431 },
  /** `ws`'s own answer to a `Sec-WebSocket-Protocol` that is not a list of tokens: no challenge. */
  malformedSubprotocols: { status: 400 },
} as const satisfies Record<string, ExpectedAnswer>;

/** Asserts the whole answer, and that no credential sent with the request comes back in it. */
export function expectAnswer(answer: UpgradeAnswer, expected: ExpectedAnswer, ...credentials: string[]): void {
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
