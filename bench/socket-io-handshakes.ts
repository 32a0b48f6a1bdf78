import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { JwtVerifier, WsAuthModule } from 'nestjs-ws-auth';
import { WsAuthIoAdapter } from 'nestjs-ws-auth/socket.io';
import { io } from 'socket.io-client';
import { signHs } from '../test/support/tokens.js';

/**
 * `npm run bench:socket.io`: Socket.IO handshakes (Engine.IO over WebSocket,
 * then the namespace CONNECT) against a Nest app on `WsAuthIoAdapter` with an
 * HS256 token in `auth`, and against the same app on plain `IoAdapter`
 * without auth, in the same run. Each server runs in its own process; rounds
 * alternate the two, and the ratio is taken within each round before the median.
 */
const SECRET = 'socket-io-bench-secret-that-is-long-enough!';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);

@WebSocketGateway({ namespace: '/chat' })
class BenchIoGateway {
  @SubscribeMessage('ping')
  ping() {
    return 'pong';
  }
}

async function serve(mode: 'auth' | 'plain'): Promise<void> {
  @Module({
    imports: [WsAuthModule.forRoot({ verifiers: [new JwtVerifier({ secret: SECRET, algorithms: ['HS256'] })] })],
    providers: [BenchIoGateway],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false });
  app.useWebSocketAdapter(mode === 'auth' ? new WsAuthIoAdapter(app) : new IoAdapter(app));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  process.send!({ url });
}

/** Handshakes completed in `ms` with CONCURRENCY clients connecting, then disconnecting, in a loop. */
async function measure(url: string, token: string, ms: number): Promise<number> {
  let done = 0;
  let failed = 0;
  const until = Date.now() + ms;
  const worker = async () => {
    while (Date.now() < until) {
      await new Promise<void>((resolve) => {
        const socket = io(`${url}/chat`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
        socket.once('connect', () => {
          done += 1;
          socket.close();
          resolve();
        });
        socket.once('connect_error', () => {
          failed += 1;
          socket.close();
          resolve();
        });
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failed > 0) {
    throw new Error(`${failed} handshakes failed against ${url}`);
  }
  return (done * 1000) / ms;
}

function start(mode: 'auth' | 'plain'): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', mode]);
  return new Promise((resolve, reject) => {
    child.once('message', (message: { url: string }) => resolve({ child, url: message.url }));
    child.once('exit', (code) => reject(new Error(`the ${mode} server exited (${code})`)));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const servers = { auth: await start('auth'), plain: await start('plain') };
  const now = Math.floor(Date.now() / 1000);
  const token = signHs({ sub: 'bench', sid: 'bench', iat: now, exp: now + 3600 }, SECRET);
  const rates = { auth: [] as number[], plain: [] as number[] };
  const ratios: number[] = [];
  try {
    await measure(servers.plain.url, token, 500); // warm-up of both
    await measure(servers.auth.url, token, 500);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['plain', 'auth'] as const) : (['auth', 'plain'] as const);
      const rate: Record<string, number> = {};
      for (const mode of order) {
        rate[mode] = await measure(servers[mode].url, token, ROUND_MS);
        rates[mode].push(rate[mode]);
      }
      ratios.push(rate.auth / rate.plain);
      process.stdout.write(`round ${round + 1}/${ROUNDS}: plain ${Math.round(rate.plain)}/s, auth ${Math.round(rate.auth)}/s\n`);
    }
  } finally {
    servers.auth.child.kill();
    servers.plain.child.kill();
  }
  const result = {
    socket_io_handshakes_per_s_plain: Math.round(median(rates.plain)),
    socket_io_handshakes_per_s_auth: Math.round(median(rates.auth)),
    socket_io_handshake_ratio_auth: Number(median(ratios).toFixed(3)),
    rounds: ROUNDS,
    round_ms: ROUND_MS,
    concurrency: CONCURRENCY,
    node: process.version,
  };
  writeFileSync(fileURLToPath(new URL('../../../bench/results-socket-io.json', import.meta.url)), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] as 'auth' | 'plain');
} else {
  await main();
}
