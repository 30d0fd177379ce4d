/**
 * uWebSockets.js under test (the npm package `uwebsockets`, installed by hand with
 * `npm install --no-save uwebsockets`, never a dependency; bench/run.ts passes the resolved path in UWS_MODULE). Broadcast is uWS's own pub/sub: every socket subscribes
 * to one topic on open and the trigger publishes to it. No compression, no idle timeout, no automatic pings.
 * Same contract as wsgate-echo.ts (see there).
 */
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { memoryReportLine } from './memory-report.mjs';

const require = createRequire(import.meta.url);
const uWS = require(process.env.UWS_MODULE || 'uwebsockets');

const payloads = new Map();
function payloadOf(size) {
  let payload = payloads.get(size);
  if (payload === undefined) {
    payload = Buffer.alloc(size, 'x');
    payloads.set(size, payload);
  }
  return payload;
}

let clients = 0;
const app = uWS.App().ws('/*', {
  compression: uWS.DISABLED,
  maxPayloadLength: 16 * 1024 * 1024,
  maxBackpressure: 16 * 1024 * 1024,
  idleTimeout: 0,
  sendPingsAutomatically: false,
  open(ws) {
    clients++;
    ws.subscribe('all');
  },
  message(ws, message, isBinary) {
    // `message` is only valid during this call; send copies it.
    if (!isBinary && message.byteLength > 0 && new Uint8Array(message)[0] === 0x21 /* ! */) {
      const [command, count, size] = Buffer.from(message).toString().split(' ');
      if (command === '!bcast') {
        const payload = payloadOf(Number(size));
        for (let i = 0; i < Number(count); i++) app.publish('all', payload, false);
      }
      return;
    }
    ws.send(message, isBinary);
  },
  close() {
    clients--;
  },
});

app.listen('127.0.0.1', Number(process.argv[2] ?? 0), (token) => {
  if (!token) {
    process.stderr.write('uws-echo: listen failed\n');
    process.exit(1);
  }
  process.stdout.write(`LISTENING ${uWS.us_socket_local_port(token)}\n`);
});

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() !== 'mem') return;
    process.stdout.write(memoryReportLine(clients));
  })
  .on('close', () => process.exit(0));
