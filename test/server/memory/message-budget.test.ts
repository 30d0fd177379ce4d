// Issue 9, item 3, at the defaults and measured: 20 peers each pin an unfinished compressed message that inflates to
// 15 MiB from a few KiB on the wire (before: +300 MiB held for as long as they liked). With the process-wide budget
// (128 MiB by default) the peers past it are closed 1013 and the server's RSS stays near the budget (the slack is
// inflated output of the refused messages not yet collected). The server runs in a child process so that its RSS is
// its own; only `createServer` options are used (none of them new).
import { constants, deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildServer } from '../../helpers/child.js';
import { Op } from '../../helpers/frames.js';
import { RawClient } from '../../helpers/raw.js';
import { cleanupAll, onCleanup } from '../../helpers/servers.js';

afterEach(cleanupAll);

const MiB = 1024 * 1024;
const CONNECTIONS = 20;
/** `DEFAULT_LIMITS.messageBudget`, written out: this test must also run against code that predates it. */
const DEFAULT_BUDGET_MIB = 128;

describe('unfinished compressed messages from many connections', () => {
  it(`${CONNECTIONS} × 15 MiB inflated and unfinished: server RSS grows by < budget + 48 MiB; the rest get 1013`, async () => {
    const child = await ChildServer.start({ perMessageDeflate: true });
    onCleanup(() => child.stop());
    const bomb = deflateRawSync(Buffer.alloc(15 * MiB), { finishFlush: constants.Z_SYNC_FLUSH });
    const attackers: RawClient[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      attackers.push(
        await RawClient.connect(child.port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } }),
      );
    }
    const before = await child.memory();
    const codes: number[] = [];
    for (const attacker of attackers) {
      attacker.send({ opcode: Op.Binary, payload: bomb, rsv1: true, fin: false });
      attacker.send({ opcode: Op.Ping, payload: 'still there?' });
      for (;;) {
        const frame = await attacker.nextFrame(5_000);
        if (frame.opcode === Op.Close) {
          codes.push(frame.payload.readUInt16BE(0));
          break;
        }
        if (frame.opcode !== Op.Pong) continue;
        const next = await attacker.maybeFrame(100);
        if (next?.opcode === Op.Close) codes.push(next.payload.readUInt16BE(0));
        break;
      }
    }
    const after = await child.memory();
    if (process.env.WSGATE_REPORT !== undefined) {
      process.stderr.write(
        `deflate budget: ${CONNECTIONS} × ${(bomb.length / 1024).toFixed(1)} KiB on the wire; RSS ${before.rss.toFixed(1)} → ${after.rss.toFixed(1)} MiB (peak ${after.peakRss.toFixed(1)}); closes ${JSON.stringify(codes)}\n`,
      );
    }
    expect(after.rss - before.rss).toBeLessThan(DEFAULT_BUDGET_MIB + 48);
    // 128 MiB holds 8 messages of 15 MiB.
    expect(codes.filter((c) => c === 1013).length).toBe(CONNECTIONS - 8);
  }, 60_000);
});
