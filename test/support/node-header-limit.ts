import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Whether the running Node refuses a request with more header fields than
 * the server's `maxHeadersCount` (`431`, before any app code runs), rather
 * than dropping the fields past the limit unseen. Node 22.23.2 and 24.18.1
 * began refusing (CVE-2026-58044); Node 20 drops them, and will stay so.
 * Asked of the running Node with a throwaway loopback server, never read
 * from its version number.
 */
export async function nodeRefusesExcessHeaderFields(): Promise<boolean> {
  const server = createServer((_req, res) => res.end());
  server.maxHeadersCount = 2;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const status = await new Promise<number>((resolve, reject) => {
      const headers = ['Host', '127.0.0.1', 'x-one', '1', 'x-two', '2', 'x-three', '3'];
      const req = request({ host: '127.0.0.1', port, headers, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    if (status !== 431 && status !== 200) {
      throw new Error(`The header-limit probe got an unexpected ${status}`);
    }
    return status === 431;
  } finally {
    server.close();
  }
}
