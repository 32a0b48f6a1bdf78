import { describe, expect, it } from '@jest/globals';
import { KnownRevocations } from './known-revocations.js';

describe('KnownRevocations', () => {
  const later = Date.now() + 60_000;

  it('revokes by session and by subject up to revokedAt, keeping the later subject revocation', () => {
    const known = new KnownRevocations();
    known.add({ type: 'revoke-session', sessionId: 's1', expiresAt: later });
    known.add({ type: 'revoke-subject', subject: 'bart', revokedAt: 2000, expiresAt: later });
    known.add({ type: 'revoke-subject', subject: 'bart', revokedAt: 1000, expiresAt: later });
    expect(known.isRevoked({ subject: 'maggie', sessionId: 's1' })).toBe(true);
    expect(known.isRevoked({ subject: 'bart', issuedAt: 1500 })).toBe(true);
    expect(known.isRevoked({ subject: 'bart', issuedAt: 2500 })).toBe(false);
    expect(known.list()).toHaveLength(2);
  });

  it('forgets what has expired and ignores disconnects', () => {
    const known = new KnownRevocations();
    known.add({ type: 'revoke-session', sessionId: 'old', expiresAt: Date.now() - 1 });
    known.add({ type: 'disconnect-session', sessionId: 's2' });
    expect(known.isRevoked({ subject: 'maggie', sessionId: 'old' })).toBe(false);
    expect(known.isRevoked({ subject: 'maggie', sessionId: 's2' })).toBe(false);
    expect(known.list()).toEqual([]);
  });
});
