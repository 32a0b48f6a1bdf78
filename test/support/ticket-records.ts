import { WsAuthError, type TicketRecord } from 'nestjs-ws-auth';

/** A ticket record as `TicketService` stores one: five minutes of token left, thirty seconds of ticket. */
export const ticketRecord = (subject = 'maggie'): TicketRecord => ({
  principal: { sub: subject, sid: 'session-1' },
  subject,
  sessionId: 'session-1',
  scopes: ['chat'],
  expiresAt: Date.now() + 300_000,
  notAfter: Date.now() + 30_000,
});

/** What a store call ended with: `resolved`, or the code of the WsAuthError it threw. */
export const codeOf = (work: Promise<unknown>): Promise<string> =>
  work.then(
    () => 'resolved',
    (error: unknown) => (error instanceof WsAuthError ? error.code : `not a WsAuthError: ${String(error)}`),
  );
