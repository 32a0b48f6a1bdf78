import { HttpException } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { handshakeRejection } from './handshake/handshake-rejection.js';

/**
 * The HTTP answer to a refused credential, as a refused handshake gets it:
 * the RFC 6750 `WWW-Authenticate` (or `Retry-After`) is set on the response,
 * and the returned exception carries the status and a generic body.
 */
export function httpRejection(error: unknown, realm: string, adapter: AbstractHttpAdapter, response: unknown): HttpException {
  const { status, message, headers } = handshakeRejection(error, realm);
  for (const [name, value] of Object.entries(headers)) {
    adapter.setHeader(response, name, value);
  }
  return new HttpException({ statusCode: status, message }, status);
}
