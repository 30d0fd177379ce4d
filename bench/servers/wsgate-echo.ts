/**
 * wsgate under test: echo server plus the benchmark's broadcast trigger. Standalone:
 *
 *   node --expose-gc --import tsx bench/servers/wsgate-echo.ts [port]
 *
 * The contract shared by every server in this folder (bench/run.ts relies on it):
 * - listens on 127.0.0.1 (port from argv, 0 = any) and prints `LISTENING <port>` once ready;
 * - echoes every message with its own type;
 * - a text message starting with `!bcast K S` makes the server send K text messages of S bytes to every open
 *   connection, with the library's broadcast path;
 * - a `mem` line on stdin is answered with `MEM {json}` (after a full GC when run with --expose-gc);
 * - exits when stdin ends, so it never outlives the harness.
 */
import { createInterface } from 'node:readline';
import { createServer } from '../../src/index.js';
import { memoryReportLine } from './memory-report.mjs';

const payloads = new Map<number, string>();
function payloadOf(size: number): string {
  let payload = payloads.get(size);
  if (payload === undefined) {
    payload = 'x'.repeat(size);
    payloads.set(size, payload);
  }
  return payload;
}

const server = await createServer({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  handlers: {
    message(ws, data, isBinary) {
      if (!isBinary && data[0] === 0x21 /* ! */) {
        const [command, count, size] = data.toString().split(' ');
        if (command === '!bcast') {
          const payload = payloadOf(Number(size));
          for (let i = 0; i < Number(count); i++) server.broadcast(payload);
        }
        return;
      }
      ws.send(data, { binary: isBinary });
    },
  },
});

process.stdout.write(`LISTENING ${server.port}\n`);
createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() !== 'mem') return;
    process.stdout.write(memoryReportLine(server.clients.size));
  })
  .on('close', () => process.exit(0));
