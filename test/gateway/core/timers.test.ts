import { describe, expect, it } from 'vitest';
import { GatewayTimers } from '../../../src/gateway/core/timers.js';
import { FakeClock } from '../kit.js';

describe('GatewayTimers (fake clock)', () => {
  it('runs every/after on the clock, cancels, and clears all at close', () => {
    const clock = new FakeClock();
    const timers = new GatewayTimers(() => undefined, clock);
    const ticks: string[] = [];
    const every = timers.every(100, () => ticks.push('every'));
    const after = timers.after(250, () => ticks.push('after'));
    clock.advance(300);
    expect(ticks).toEqual(['every', 'every', 'after', 'every']);
    expect(after.active).toBe(false);
    every.cancel();
    every.cancel();
    clock.advance(1000);
    expect(ticks).toHaveLength(4);
    const late = timers.every(10, () => ticks.push('late'));
    timers.clear();
    expect(late.active).toBe(false);
    expect(timers.after(1, () => ticks.push('closed')).active).toBe(false);
    clock.advance(100);
    expect(ticks).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('reports a throwing or rejecting callback and keeps an every timer running', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const timers = new GatewayTimers((error) => errors.push(error), clock);
    let runs = 0;
    timers.every(10, () => {
      runs++;
      throw new Error('tick');
    });
    timers.after(5, async () => Promise.reject(new Error('async')));
    clock.advance(20);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['async', 'tick', 'tick']);
  });

  it('refuses a bad delay or callback', () => {
    const timers = new GatewayTimers(() => undefined, new FakeClock());
    expect(() => timers.every(-1, () => undefined)).toThrow(TypeError);
    expect(() => timers.after(Number.NaN, () => undefined)).toThrow(TypeError);
    expect(() => timers.after(1, 'x' as unknown as () => void)).toThrow(TypeError);
  });
});
