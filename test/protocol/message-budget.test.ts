/** The process-wide account of bytes held for unfinished messages (`message-budget.ts`). */
import { describe, expect, it } from 'vitest';
import { MessageBudget } from '../../src/protocol/index.js';

describe('MessageBudget', () => {
  it('reserves only what fits and never goes below 0', () => {
    const budget = new MessageBudget(10);
    expect(budget.tryReserve(6)).toBe(true);
    expect(budget.tryReserve(5)).toBe(false);
    expect(budget.reserved).toBe(6);
    expect(budget.tryReserve(4)).toBe(true);
    budget.release(20);
    expect(budget.reserved).toBe(0);
    expect(() => new MessageBudget(-1)).toThrow();
  });
});
