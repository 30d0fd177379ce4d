// permessage-deflate `level` and `memLevel` from `createServer` and `connect` reach the zlib compressor: over real
// sockets, the same compressible message comes out smaller at level 9 than at level 1, and at memLevel 9 than at
// memLevel 1, from either role. Out-of-range values throw where they were written, not at the first handshake.
import { constants, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketArgumentError } from '../../src/protocol/index.js';
import { connect } from '../../src/server/client.js';
import type { PerMessageDeflateSettings } from '../../src/server/compression-options.js';
import { createServer } from '../../src/server/server.js';
import { default101, RawClient, RawServer } from '../helpers/raw.js';
import { cleanupAll, onCleanup, startServer } from '../helpers/servers.js';

afterEach(cleanupAll);

/** 64 KiB of text from a 12-word vocabulary (a fixed pseudo-random sequence): compressible, but not trivially. */
const TEXT = (() => {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu'];
  let seed = 1;
  const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  let text = '';
  while (text.length < 64 * 1024) text += words[next() % words.length] + (next() % 7 === 0 ? '\n' : ' ');
  return text;
})();

function inflate(payload: Buffer): string {
  // RFC 7692 §7.2.2: the sender removed the trailing 00 00 ff ff of the sync flush.
  const tail = Buffer.from([0x00, 0x00, 0xff, 0xff]);
  return inflateRawSync(Buffer.concat([payload, tail]), { finishFlush: constants.Z_SYNC_FLUSH }).toString();
}

/** Size on the wire of TEXT sent by a wsgate server with these settings to a raw client. */
async function serverSends(settings: PerMessageDeflateSettings): Promise<number> {
  const server = await startServer({
    perMessageDeflate: { ...settings, threshold: 0 },
    handlers: { open: (ws) => ws.send(TEXT, { compress: true }) },
  });
  const client = await RawClient.connect(server.port, {
    headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
  });
  const frame = await client.nextFrame();
  expect(frame.rsv1).toBe(true);
  expect(inflate(frame.payload)).toBe(TEXT);
  return frame.payload.length;
}

/** Size on the wire of TEXT sent by wsgate's client with these settings to a raw server. */
async function clientSends(settings: PerMessageDeflateSettings): Promise<number> {
  const raw = await RawServer.start((request) =>
    default101(request, { 'Sec-WebSocket-Extensions': 'permessage-deflate' }),
  );
  const ws = await connect(raw.url, { perMessageDeflate: { ...settings, threshold: 0 } });
  onCleanup(() => ws.terminate());
  ws.send(TEXT, { compress: true });
  const frame = await (await raw.nextPeer()).nextFrame();
  expect(frame.rsv1).toBe(true);
  expect(inflate(frame.payload)).toBe(TEXT);
  return frame.payload.length;
}

describe.each([
  { role: 'server (createServer)', sends: serverSends },
  { role: 'client (connect)', sends: clientSends },
])('$role', ({ sends }) => {
  it('level 9 compresses smaller than level 1', async () => {
    const fast = await sends({ level: 1 });
    const best = await sends({ level: 9 });
    expect(best).toBeLessThan(fast * 0.8);
  });

  it('memLevel 9 compresses smaller than memLevel 1 (level 6)', async () => {
    const small = await sends({ memLevel: 1 });
    const large = await sends({ memLevel: 9 });
    expect(large).toBeLessThan(small);
  });
});

describe('out-of-range values throw up front (WebSocketArgumentError)', () => {
  it('createServer', async () => {
    await expect(createServer({ noServer: true, perMessageDeflate: { level: 10 } })).rejects.toThrow(
      WebSocketArgumentError,
    );
    await expect(createServer({ noServer: true, perMessageDeflate: { memLevel: 0 } })).rejects.toThrow(/memLevel/);
  });

  it('connect, before any connection is made', async () => {
    await expect(connect('ws://127.0.0.1:9/', { perMessageDeflate: { level: 1.5 } })).rejects.toThrow(
      WebSocketArgumentError,
    );
    await expect(connect('ws://127.0.0.1:9/', { perMessageDeflate: { memLevel: 10 } })).rejects.toThrow(/memLevel/);
  });
});
