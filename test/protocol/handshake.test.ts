/** What both sides of the opening handshake share (`handshake.ts`): the accept key. */
import { describe, expect, it } from 'vitest';
import { WEBSOCKET_GUID, computeAcceptKey } from '../../src/protocol/handshake.js';
import { SAMPLE_ACCEPT, SAMPLE_KEY } from './kit.js';

describe('computeAcceptKey (RFC 6455 §1.3, §4.2.2)', () => {
  it('computes the RFC example', () => {
    expect(WEBSOCKET_GUID).toBe('258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
    expect(computeAcceptKey(SAMPLE_KEY)).toBe(SAMPLE_ACCEPT);
  });

  it('hashes the key as sent, without decoding it', () => {
    expect(computeAcceptKey('AAAAAAAAAAAAAAAAAAAAAA==')).not.toBe(computeAcceptKey('AAAAAAAAAAAAAAAAAAAAAQ=='));
    expect(computeAcceptKey('x')).toHaveLength(28);
  });
});
