// RFC 7230 §5.4: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that
// lacks a Host header field and to any that contains more than one Host header field". Node's parser keeps the
// first Host in `req.headers` and drops the rest, so this is checked on `req.rawHeaders`.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/server.js';
import { rawHttp, upgradeRequest } from '../helpers/raw.js';
import { cleanupAll, onCleanup, Recorder, startServer } from '../helpers/servers.js';

afterEach(cleanupAll);

/** An upgrade request with two Host lines (the helper writes one; the second follows it). */
function twoHosts(port: number, second: string, first = `127.0.0.1:${port}`): string {
  return upgradeRequest(port, { host: first }).replace(/\r\nHost: [^\r]*\r\n/, `\r\nHost: ${first}\r\nHost: ${second}\r\n`);
}

describe('duplicate Host header', () => {
  it.each([
    ['a different authority', 'evil.example'],
    ['the same authority twice', null],
  ])('%s → 400, no 101, no socket', async (_name, second) => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const port = server.port;
    const response = await rawHttp(port, twoHosts(port, second ?? `127.0.0.1:${port}`));
    expect(response.status).toBe(400);
    expect(response.raw).not.toMatch(/^HTTP\/1\.1 101/);
    expect(response.body).toMatch(/Host/);
    expect(events.opened).toHaveLength(0);
    expect(server.clients.size).toBe(0);
  });

  it('also in attach mode (the check is on the upgrade, not on our HTTP server)', async () => {
    const http = createHttpServer();
    const wss = await createServer({ server: http });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onCleanup(async () => {
      await wss.close({ timeout: 100 });
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const port = (http.address() as AddressInfo).port;
    expect((await rawHttp(port, twoHosts(port, 'evil.example'))).status).toBe(400);
    // One Host still upgrades.
    expect((await rawHttp(port, upgradeRequest(port), 300)).status).toBe(101);
  });
});
