// The engine's SHA-1, base64 and accept key against node:crypto and Buffer, on any input.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from '../src/protocol/base64.js';
import { WEBSOCKET_GUID, computeAcceptKey } from '../src/protocol/handshake.js';
import { sha1 } from '../src/protocol/sha1.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Per-test time budget that grows with the number of runs (`npm run fuzz` uses 20,000). */
const TIMEOUT = Math.max(20_000, RUNS * 10);

/** Any UTF-16 code unit, lone surrogates included. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

describe('sha1 against node:crypto', () => {
  it(
    'agrees on any bytes, lengths across several blocks',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (message) => {
          expect(Buffer.from(sha1(message)).toString('hex')).toBe(createHash('sha1').update(message).digest('hex'));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'base64 agrees with Buffer on any bytes',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
          expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'computeAcceptKey agrees on any key string',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.base64String({ minLength: 24, maxLength: 24 }),
            fc.string({ maxLength: 80 }),
            fc.string({ unit: anyUnit, maxLength: 80 }),
          ),
          (key) => {
            expect(computeAcceptKey(key)).toBe(
              createHash('sha1')
                .update(key + WEBSOCKET_GUID)
                .digest('base64'),
            );
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
