import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { CredentialJudge } from './handshake/credential-judge.js';
import { MemorySessionStore } from './sessions/memory-session.store.js';
import { WsAuthenticator } from './ws-auth.authenticator.js';
import { WsAuthError } from './ws-auth.errors.js';
import { resolveWsAuthOptions } from './ws-auth-options.resolver.js';

const HEADER = { name: 'header', extract: () => null };
const request = { headers: {}, rawHeaders: [] } as unknown as IncomingMessage;

function authenticator() {
  // Answers at once, as JwtVerifier does for an HMAC token.
  const verifier = { verify: (token: string) => (token === 'good' ? { principal: {}, subject: 'maggie' } : null) };
  const options = resolveWsAuthOptions({ verifiers: [verifier], realm: 'chat' });
  return new WsAuthenticator(options, new CredentialJudge(options, new MemorySessionStore()));
}

describe('WsAuthenticator', () => {
  it('answers with a promise even when every step answers at once', async () => {
    const answer = authenticator().authenticate('good', request, HEADER);
    expect(answer).toBeInstanceOf(Promise);
    await expect(answer).resolves.toMatchObject({ subject: 'maggie', source: 'header' });
  });

  it('rejects, never throws, for a refused credential', async () => {
    let answer: Promise<unknown> | undefined;
    expect(() => (answer = authenticator().authenticate('', request, HEADER))).not.toThrow();
    await expect(answer).rejects.toBeInstanceOf(WsAuthError);
    await expect(authenticator().authenticate('bad', request, HEADER)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('has the realm of the module options', () => {
    expect(authenticator().realm).toBe('chat');
  });
});
