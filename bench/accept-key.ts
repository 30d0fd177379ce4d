// The cost of one Sec-WebSocket-Accept: the engine's own SHA-1 + base64 against node:crypto's createHash.
// Run with `npx tsx bench/accept-key.ts`; a few seconds, one core.
import { createHash } from 'node:crypto';
import { WEBSOCKET_GUID, computeAcceptKey } from '../src/protocol/handshake.js';

const N = 200_000;
const keys = Array.from({ length: 1024 }, (_, i) =>
  Buffer.from(`wsgate-nonce-${String(i).padStart(3, '0')}`).toString('base64'),
);

function time(name: string, fn: (key: string) => string): number {
  let sink = 0;
  for (let i = 0; i < N / 10; i++) sink += fn(keys[i & 1023]).length; // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += fn(keys[i & 1023]).length;
  const ns = Number(process.hrtime.bigint() - start) / N;
  if (sink === 0) throw new Error('unreachable');
  console.log(`${name.padEnd(12)} ${ns.toFixed(0).padStart(6)} ns per accept key`);
  return ns;
}

const ours = time('wsgate sha1', computeAcceptKey);
const node = time('node:crypto', (key) =>
  createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64'),
);
console.log(`ratio ${(ours / node).toFixed(2)} (node ${process.version})`);
