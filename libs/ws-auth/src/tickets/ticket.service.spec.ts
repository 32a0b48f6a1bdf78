import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { WsVerifiedToken } from '../interfaces/token-verifier.interface.js';
import type { WsAuthModuleOptions } from '../interfaces/ws-auth-options.interface.js';
import { WsAuthError } from '../ws-auth.errors.js';
import { resolveWsAuthOptions } from '../ws-auth-options.resolver.js';
import { MemoryTicketStore } from './memory-ticket.store.js';
import type { TicketRecord, TicketStore } from './ticket-store.interface.js';
import { TicketService } from './ticket.service.js';
import { settle } from '../../../../test/support/settle.js';

/** A memory store that remembers every call, to see what the service hands a store. */
class RecordingStore implements TicketStore {
  readonly puts: Array<{ hash: string; record: TicketRecord; ttlMs: number }> = [];
  readonly takes: string[] = [];
  private readonly inner = new MemoryTicketStore();

  async put(hash: string, record: TicketRecord, ttlMs: number): Promise<void> {
    this.puts.push({ hash, record, ttlMs });
    await this.inner.put(hash, record, ttlMs);
  }

  async take(hash: string): Promise<TicketRecord | null> {
    this.takes.push(hash);
    return this.inner.take(hash);
  }
}

/** A store whose backend cannot answer. */
class FailingStore implements TicketStore {
  async put(): Promise<void> {
    throw new Error('ECONNREFUSED');
  }
  async take(): Promise<TicketRecord | null> {
    throw new Error('ECONNREFUSED');
  }
}

/** A store that never answers. */
class HangingStore implements TicketStore {
  put(): Promise<void> {
    return new Promise(() => undefined);
  }
  take(): Promise<TicketRecord | null> {
    return new Promise(() => undefined);
  }
}

const service = (store: TicketStore = new RecordingStore(), tickets: WsAuthModuleOptions['tickets'] = {}, extra: Partial<WsAuthModuleOptions> = {}) =>
  new TicketService(resolveWsAuthOptions({ verifiers: [noVerifier], ...extra, tickets: { store, ...tickets } }));

/** Tickets need no verifier; the module needs one. */
const noVerifier = { verify: () => null };

const identity = (overrides: Partial<WsVerifiedToken> = {}): WsVerifiedToken => ({
  principal: { sub: 'maggie', sid: 'session-1' },
  subject: 'maggie',
  sessionId: 'session-1',
  scopes: ['chat'],
  expiresAt: Date.now() + 300_000,
  ...overrides,
});

const upgrade = (url = '/chat', origin?: string): IncomingMessage =>
  ({ url, headers: origin === undefined ? {} : { origin } }) as IncomingMessage;

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(WsAuthError);
      return (error as WsAuthError).code;
    },
  );

describe('TicketService', () => {
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('issue', () => {
    it('mints 256 random bits, URL-safe, different every time', async () => {
      const tickets = service();
      const { ticket } = await tickets.issue(identity());
      expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(ticket, 'base64url')).toHaveLength(32);
      expect((await tickets.issue(identity())).ticket).not.toBe(ticket);
    });

    it('hands the store only the SHA-256 of the ticket, never the ticket', async () => {
      const store = new RecordingStore();
      const { ticket } = await service(store).issue(identity(), { origin: 'http://app.example' });
      expect(store.puts).toHaveLength(1);
      expect(store.puts[0].hash).toBe(sha256(ticket));
      expect(JSON.stringify(store.puts[0])).not.toContain(ticket);
      await settle(() => service(store).redeem(ticket, upgrade('/chat', 'http://app.example')));
      expect(store.takes).toEqual([sha256(ticket)]);
    });

    it('stores what the socket needs: identity, session, scopes and the token exp', async () => {
      const store = new RecordingStore();
      const auth = identity();
      await service(store).issue(auth);
      expect(store.puts[0].record).toMatchObject({
        principal: auth.principal,
        subject: 'maggie',
        sessionId: 'session-1',
        scopes: ['chat'],
        expiresAt: auth.expiresAt,
      });
    });

    it('lives for the TTL when the token outlives it (default 30 s)', async () => {
      const store = new RecordingStore();
      await expect(service(store).issue(identity())).resolves.toMatchObject({ expiresIn: 30 });
      expect(store.puts[0].ttlMs).toBe(30_000);
      await expect(service(store, { ttlSec: 5 }).issue(identity())).resolves.toMatchObject({ expiresIn: 5 });
      expect(store.puts[1].ttlMs).toBe(5_000);
    });

    it('lives no longer than the minting token', async () => {
      const now = 1_700_000_000_000;
      jest.spyOn(Date, 'now').mockReturnValue(now);
      const store = new RecordingStore();
      const issued = await service(store).issue(identity({ expiresAt: now + 12_500 }));
      expect(issued.expiresIn).toBe(12); // rounded down: never promises more than it gives
      expect(store.puts[0].ttlMs).toBe(12_500);
      expect(store.puts[0].record.notAfter).toBe(now + 12_500);
    });

    it('mints for a token with exactly one second left, with expires_in 1', async () => {
      const now = 1_700_000_000_000;
      jest.spyOn(Date, 'now').mockReturnValue(now);
      await expect(service().issue(identity({ expiresAt: now + 1_000 }))).resolves.toMatchObject({ expiresIn: 1 });
    });

    it.each([999, 0, -5_000])('refuses to mint for a token with %p ms left', async (left) => {
      const now = 1_700_000_000_000;
      jest.spyOn(Date, 'now').mockReturnValue(now);
      const store = new RecordingStore();
      await expect(refusal(service(store).issue(identity({ expiresAt: now + left })))).resolves.toBe('invalid_token');
      expect(store.puts).toHaveLength(0);
    });

    it('answers unavailable when the store fails, and says so in the log', async () => {
      await expect(refusal(service(new FailingStore()).issue(identity()))).resolves.toBe('unavailable');
      expect(warnings).toEqual([expect.stringContaining('ticket store cannot answer')]);
    });

    it('answers unavailable when the store does not answer within verifyTimeoutMs', async () => {
      await expect(refusal(service(new HangingStore(), {}, { verifyTimeoutMs: 50 }).issue(identity()))).resolves.toBe('unavailable');
    });

    it.each([0, -1, 2.5])('refuses ttlSec %p at construction', (ttlSec) => {
      expect(() => service(undefined, { ttlSec })).toThrow(/ttlSec/);
    });

    it('uses a memory store when none is given', async () => {
      const tickets = new TicketService(resolveWsAuthOptions({ verifiers: [noVerifier] }));
      const { ticket } = await tickets.issue(identity());
      await expect(settle(() => tickets.redeem(ticket, upgrade()))).resolves.toMatchObject({ subject: 'maggie' });
    });
  });

  describe('redeem', () => {
    it('gives back the identity, with the token exp rather than the ticket expiry', async () => {
      const tickets = service();
      const auth = identity();
      const { ticket } = await tickets.issue(auth);
      await expect(settle(() => tickets.redeem(ticket, upgrade()))).resolves.toEqual({
        principal: auth.principal,
        subject: 'maggie',
        sessionId: 'session-1',
        scopes: ['chat'],
        expiresAt: auth.expiresAt,
      });
    });

    it('redeems once', async () => {
      const tickets = service();
      const { ticket } = await tickets.issue(identity());
      await settle(() => tickets.redeem(ticket, upgrade()));
      await expect(refusal(settle(() => tickets.redeem(ticket, upgrade())))).resolves.toBe('invalid_token');
    });

    it('refuses a ticket it never minted, and a malformed one without asking the store', async () => {
      const store = new RecordingStore();
      const tickets = service(store);
      await expect(refusal(settle(() => tickets.redeem('A'.repeat(43), upgrade())))).resolves.toBe('invalid_token');
      expect(store.takes).toHaveLength(1);
      for (const malformed of ['short', 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}+`]) {
        await expect(refusal(settle(() => tickets.redeem(malformed, upgrade())))).resolves.toBe('invalid_token');
      }
      expect(store.takes).toHaveLength(1);
    });

    it('refuses a ticket past its own expiry even if the store still has it', async () => {
      let now = 1_700_000_000_000;
      jest.spyOn(Date, 'now').mockImplementation(() => now);
      const lax: TicketStore = new (class extends RecordingStore {
        override put(hash: string, record: TicketRecord): Promise<void> {
          return super.put(hash, record, 3_600_000); // a store that ignores the TTL
        }
      })();
      const tickets = service(lax, { ttlSec: 1 });
      const { ticket } = await tickets.issue(identity({ expiresAt: now + 300_000 }));
      now += 1_000;
      await expect(refusal(settle(() => tickets.redeem(ticket, upgrade())))).resolves.toBe('invalid_token');
    });

    it('answers unavailable when the store fails', async () => {
      await expect(refusal(settle(() => service(new FailingStore()).redeem('A'.repeat(43), upgrade())))).resolves.toBe('unavailable');
    });

    describe('bindings', () => {
      it('opens a socket from the Origin that minted it', async () => {
        const tickets = service();
        const { ticket } = await tickets.issue(identity(), { origin: 'http://app.example' });
        await expect(settle(() => tickets.redeem(ticket, upgrade('/chat', 'http://app.example')))).resolves.toMatchObject({ subject: 'maggie' });
      });

      it.each([
        ['another Origin', 'http://evil.example'],
        ['no Origin', undefined],
      ])('refuses %s and burns the ticket', async (_, origin) => {
        const tickets = service();
        const { ticket } = await tickets.issue(identity(), { origin: 'http://app.example' });
        await expect(refusal(settle(() => tickets.redeem(ticket, upgrade('/chat', origin))))).resolves.toBe('invalid_token');
        await expect(refusal(settle(() => tickets.redeem(ticket, upgrade('/chat', 'http://app.example'))))).resolves.toBe('invalid_token');
      });

      it('accepts any Origin when minted without one', async () => {
        const tickets = service();
        const { ticket } = await tickets.issue(identity());
        await expect(settle(() => tickets.redeem(ticket, upgrade('/chat', 'http://app.example')))).resolves.toMatchObject({ subject: 'maggie' });
      });

      it('opens the bound path, with a query string, normalized as Nest normalizes gateway paths', async () => {
        const tickets = service();
        const { ticket } = await tickets.issue(identity(), { path: 'chat/' });
        await expect(settle(() => tickets.redeem(ticket, upgrade(`/chat?ticket=${ticket}`)))).resolves.toMatchObject({ subject: 'maggie' });
      });

      it('refuses another path and burns the ticket', async () => {
        const tickets = service();
        const { ticket } = await tickets.issue(identity(), { path: '/chat' });
        await expect(refusal(settle(() => tickets.redeem(ticket, upgrade(`/feed?ticket=${ticket}`))))).resolves.toBe('invalid_token');
        await expect(refusal(settle(() => tickets.redeem(ticket, upgrade(`/chat?ticket=${ticket}`))))).resolves.toBe('invalid_token');
      });
    });
  });
});
