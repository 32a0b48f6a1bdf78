import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packLibrary } from './support/packed-library.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository, so the other peers resolve from the root node_modules.
const consumer = join(root, 'test', '.consumer-optional-peers');

/**
 * Run with socket.io and @nestjs/platform-socket.io made impossible to
 * resolve, as in an app that never installed them: the script records every
 * attempt to resolve either.
 */
const WITHOUT_SOCKET_IO = `
const Module = require('node:module');
const resolve = Module._resolveFilename;
const attempts = [];
Module._resolveFilename = function (request, ...rest) {
  if (request === 'socket.io' || request === '@nestjs/platform-socket.io') {
    attempts.push(request);
    throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
  }
  return resolve.call(this, request, ...rest);
};
const main = require('nestjs-ws-auth');
const attemptsByMain = attempts.length;
let adapter;
try { require('nestjs-ws-auth/socket.io'); adapter = 'loaded'; } catch (error) { adapter = error.code; }
process.stdout.write(JSON.stringify({ exports: Object.keys(main).length, attemptsByMain, adapter }));
`;

describe('socket.io as an optional peer of the packed library', () => {
  beforeAll(() => {
    rmSync(consumer, { recursive: true, force: true });
    const installed = join(consumer, 'node_modules', 'nestjs-ws-auth');
    mkdirSync(installed, { recursive: true });
    const packed = packLibrary(root, consumer);
    execFileSync('tar', ['-xzf', packed.path, '-C', installed, '--strip-components=1']);
  }, 120_000);
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  it("require('nestjs-ws-auth') works without socket.io and never asks for it; the Socket.IO entry point needs it", () => {
    const out = execFileSync(process.execPath, ['-e', WITHOUT_SOCKET_IO], { cwd: consumer, encoding: 'utf8' });
    const result = JSON.parse(out) as { exports: number; attemptsByMain: number; adapter: string };
    expect(result.exports).toBeGreaterThan(10);
    expect(result.attemptsByMain).toBe(0);
    expect(result.adapter).toBe('MODULE_NOT_FOUND');
  }, 60_000);
});
