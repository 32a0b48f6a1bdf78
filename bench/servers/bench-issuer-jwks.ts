import { createServer, type Server } from 'node:http';
import type { BenchIssuer } from './server-config.js';

/**
 * The stand-in issuer's JWKS on a loopback port of the server process
 * itself. IssuerVerifier fetches it once and caches the keys: what is
 * measured is a handshake with a warm key cache, not the fetch.
 */
export async function serveIssuerJwks(issuer: BenchIssuer): Promise<{ server: Server; jwksUri: string }> {
  const body = JSON.stringify({ keys: issuer.keys.map(({ kid, alg, publicJwk }) => ({ ...publicJwk, kid, alg, use: 'sig' })) });
  const server = createServer((_, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=600' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, jwksUri: `http://127.0.0.1:${port}/jwks` };
}
