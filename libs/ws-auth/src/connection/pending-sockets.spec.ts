import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { clientAddressOf } from './client-address.js';
import { PendingSockets } from './pending-sockets.js';

describe('PendingSockets', () => {
  it('caps each address and the total, and frees a slot on remove', () => {
    const pending = new PendingSockets(3, 2);
    pending.add('a');
    pending.add('a');
    expect([pending.fits('a'), pending.fits('b')]).toEqual([false, true]);
    pending.add('b');
    expect(pending.fits('c')).toBe(false); // the total is reached
    pending.remove('a');
    expect([pending.fits('a'), pending.fits('c')]).toEqual([true, true]);
  });

  it('ignores a remove of an address it does not hold', () => {
    const pending = new PendingSockets(1, 1);
    pending.remove('a');
    pending.add('a');
    expect(pending.fits('b')).toBe(false);
  });
});

describe('clientAddressOf', () => {
  const request = (headers: Record<string, string | string[]>, remoteAddress = '127.0.0.1') =>
    ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;

  it('is the TCP peer unless a header is trusted: a client can send any header', () => {
    expect(clientAddressOf(request({ 'x-forwarded-for': '10.0.0.1' }))).toBe('127.0.0.1');
  });

  it('takes the last entry of a trusted list, the one the nearest proxy appended', () => {
    expect(clientAddressOf(request({ 'x-forwarded-for': 'forged, 10.0.0.1' }), 'X-Forwarded-For')).toBe('10.0.0.1');
    expect(clientAddressOf(request({ 'x-real-ip': '10.0.0.2' }), 'x-real-ip')).toBe('10.0.0.2');
  });

  it('falls back to the TCP peer when the trusted header is missing or empty', () => {
    expect(clientAddressOf(request({}), 'x-real-ip')).toBe('127.0.0.1');
    expect(clientAddressOf(request({ 'x-real-ip': ' ' }), 'x-real-ip')).toBe('127.0.0.1');
  });
});
