// Autobahn testee: a wsgate echo server for `wstest -m fuzzingclient` (started by autobahn/run.ts).
// Text comes back as text and binary as binary. permessage-deflate is enabled and every echo is sent compressed
// when it was negotiated (threshold 0), so sections 12/13 exercise our compressor as well as our decompressor.
// maxPayload and maxBufferedAmount are large enough for the 9.x cases (16 MiB messages echoed in one piece), and
// maxFragments for 9.3.1/9.4.1 (a 4 MiB message in 64-byte pieces arrives as 65,537 frames: an opening frame and
// 65,536 continuations), which the default of 65,536 refuses with 1009.
// Host and port come from AUTOBAHN_HOST / AUTOBAHN_PORT (default 127.0.0.1:9001).

import { createServer } from '../src/index.js';

const host = process.env.AUTOBAHN_HOST ?? '127.0.0.1';
const port = Number(process.env.AUTOBAHN_PORT ?? 9001);
const MAX_MESSAGE = 64 * 1024 * 1024;
const MAX_FRAGMENTS = 1 << 20;

const server = await createServer({
  port,
  host,
  perMessageDeflate: { threshold: 0 },
  maxPayload: MAX_MESSAGE,
  maxBufferedAmount: 4 * MAX_MESSAGE,
  maxFragments: MAX_FRAGMENTS,
  handlers: {
    message(ws, data, isBinary) {
      ws.send(data, { binary: isBinary, compress: true });
    },
  },
});

console.log(`wsgate testee server listening on ws://${host}:${port}`);

const stop = (): void => {
  setTimeout(() => process.exit(0), 2000).unref();
  server.close({ timeout: 1000 }).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
