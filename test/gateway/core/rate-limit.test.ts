import { describe, expect, it } from 'vitest';
import { countMessage, RateVerdict } from '../../../src/gateway/core/rate-limit.js';
import { openSocket } from '../kit.js';

describe('countMessage (fixed window on the socket)', () => {
  it('allows `messages` per window, then answers FirstOver once and Over after', () => {
    const { socket } = openSocket();
    const verdicts = [0, 1, 2, 3, 4].map(() => countMessage(socket, 3, 1000, 5_000));
    expect(verdicts).toEqual([RateVerdict.Ok, RateVerdict.Ok, RateVerdict.Ok, RateVerdict.FirstOver, RateVerdict.Over]);
  });

  it('starts a new window `interval` ms after the first message of the previous one', () => {
    const { socket } = openSocket();
    countMessage(socket, 1, 1000, 10_000);
    expect(countMessage(socket, 1, 1000, 10_999)).toBe(RateVerdict.FirstOver);
    expect(countMessage(socket, 1, 1000, 11_000)).toBe(RateVerdict.Ok);
    expect(countMessage(socket, 1, 1000, 11_500)).toBe(RateVerdict.FirstOver);
  });

  it('counts per socket', () => {
    const a = openSocket().socket;
    const b = openSocket().socket;
    expect(countMessage(a, 1, 1000, 1)).toBe(RateVerdict.Ok);
    expect(countMessage(b, 1, 1000, 1)).toBe(RateVerdict.Ok);
    expect(countMessage(a, 1, 1000, 2)).toBe(RateVerdict.FirstOver);
  });

  it('treats a fractional limit as its floor for FirstOver', () => {
    const { socket } = openSocket();
    expect([1, 2, 3].map(() => countMessage(socket, 1.5, 1000, 0))).toEqual([
      RateVerdict.Ok,
      RateVerdict.FirstOver,
      RateVerdict.Over,
    ]);
  });
});
