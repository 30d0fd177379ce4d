/**
 * `ws` under test, written the way its README shows: a WebSocketServer with a `message` listener per connection,
 * and broadcast as a loop over `wss.clients` checking `readyState === WebSocket.OPEN`. No permessage-deflate (the
 * server default). The optional native add-ons (bufferutil, utf-8-validate) are not installed, as in a default
 * install. Same contract as wsgate-echo.ts (see there).
 */
import { createInterface } from 'node:readline';
import { WebSocket, WebSocketServer } from 'ws';
import { memoryReportLine } from './memory-report.mjs';

const payloads = new Map<number, Buffer>();
function payloadOf(size: number): Buffer {
  let payload = payloads.get(size);
  if (payload === undefined) {
    payload = Buffer.alloc(size, 'x');
    payloads.set(size, payload);
  }
  return payload;
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary && data[0] === 0x21 /* ! */) {
      const [command, count, size] = data.toString().split(' ');
      if (command === '!bcast') {
        const payload = payloadOf(Number(size));
        for (let i = 0; i < Number(count); i++) {
          for (const client of wss.clients) {
            if (client.readyState === WebSocket.OPEN) client.send(payload, { binary: false });
          }
        }
      }
      return;
    }
    ws.send(data, { binary: isBinary });
  });
});

wss.on('listening', () => {
  const address = wss.address();
  process.stdout.write(
    `LISTENING ${typeof address === 'object' && address !== null ? address.port : String(address)}\n`,
  );
});

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() !== 'mem') return;
    process.stdout.write(memoryReportLine(wss.clients.size));
  })
  .on('close', () => process.exit(0));
