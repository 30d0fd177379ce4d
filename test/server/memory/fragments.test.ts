// Issue 9, item 2: an unfinished message cut into tiny fragments. One view kept per fragment held ~16 MiB per
// connection for 896 KiB on the wire (131,000 one-byte fragments), even with a 1 MiB message size limit. The bound:
// what an unfinished message holds stays within 2 × maxPayload + 64 KiB per connection, however it is fragmented.
// The server runs in a child process so that its RSS is its own.
import { afterEach, describe, expect, it } from 'vitest';
import { ChildServer } from '../../helpers/child.js';
import { Op } from '../../helpers/frames.js';
import { RawClient } from '../../helpers/raw.js';
import { cleanupAll, onCleanup } from '../../helpers/servers.js';

afterEach(cleanupAll);

const MiB = 1024 * 1024;
const KiB = 1024;
const FRAGMENTS = 131_000;
const CONNECTIONS = 20;
const MAX_PAYLOAD = MiB;

/** A binary message of `FRAGMENTS` one-byte frames, none of them final: 7 bytes each (2 header, 4 mask key, 1). */
function tinyFragments(): Buffer {
  const bytes = Buffer.alloc(FRAGMENTS * 7);
  for (let i = 0; i < FRAGMENTS; i++) {
    const at = i * 7;
    bytes[at] = i === 0 ? Op.Binary : Op.Continuation;
    bytes[at + 1] = 0x80 | 1;
    // Mask key 0: the payload byte goes as is.
    bytes[at + 6] = 0x61 + (i % 26);
  }
  return bytes;
}

describe('an unfinished message of one-byte fragments', () => {
  it(`${CONNECTIONS} connections × ${FRAGMENTS} fragments: server RSS grows by < ${CONNECTIONS} × (2 × maxPayload + 64 KiB)`, async () => {
    const child = await ChildServer.start({ maxPayload: MAX_PAYLOAD });
    onCleanup(() => child.stop());
    const attackers: RawClient[] = [];
    for (let i = 0; i < CONNECTIONS; i++) attackers.push(await RawClient.connect(child.port));
    const before = await child.memory();
    const attack = tinyFragments();
    for (const attacker of attackers) {
      attacker.write(attack);
      // Its pong comes once the server has parsed every fragment before it.
      attacker.send({ opcode: Op.Ping, payload: 'done?' });
    }
    for (const attacker of attackers) expect((await attacker.nextFrame(20_000)).opcode).toBe(Op.Pong);
    const after = await child.memory();
    if (process.env.WSGATE_REPORT !== undefined) {
      process.stderr.write(
        `tiny fragments: ${CONNECTIONS} × ${(attack.length / KiB).toFixed(0)} KiB on the wire; RSS ${before.rss.toFixed(1)} → ${after.rss.toFixed(1)} MiB (peak ${after.peakRss.toFixed(1)})\n`,
      );
    }
    const boundMiB = (CONNECTIONS * (2 * MAX_PAYLOAD + 64 * KiB)) / MiB;
    expect(after.peakRss - before.rss).toBeLessThan(boundMiB);
    expect(after.clients).toBe(CONNECTIONS);

    // The messages are intact: one of them, finished, comes back whole.
    attackers[0].send({ opcode: Op.Continuation, payload: '!', fin: true });
    const echo = await attackers[0].nextFrame(5_000);
    expect(echo.opcode).toBe(Op.Binary);
    expect(echo.payload.length).toBe(FRAGMENTS + 1);
    expect(echo.payload.subarray(0, 3).toString()).toBe('abc');
    expect(echo.payload.subarray(-1).toString()).toBe('!');
  }, 60_000);
});
