// The Redis adapter's health (src/gateway/adapters/redis/health.ts): the transition table as the diagram draws it.
import { describe, expect, it } from 'vitest';
import {
  Health,
  isRegistered,
  isSubscribed,
  transition,
  type HealthEvent,
} from '../../../../src/gateway/adapters/redis/health.js';

const events: HealthEvent[] = ['started', 'registered', 'presenceLost', 'subscribed', 'unsubscribed', 'closed'];

describe('Redis adapter health', () => {
  it.each<[Health, HealthEvent, Health]>([
    [Health.Starting, 'started', Health.Up],
    [Health.Starting, 'presenceLost', Health.Starting],
    [Health.Up, 'presenceLost', Health.Unregistered],
    [Health.Up, 'unsubscribed', Health.Unsubscribed],
    [Health.Unregistered, 'registered', Health.Up],
    [Health.Unregistered, 'unsubscribed', Health.Down],
    [Health.Unsubscribed, 'subscribed', Health.Up],
    [Health.Unsubscribed, 'presenceLost', Health.Down],
    [Health.Down, 'registered', Health.Unsubscribed],
    [Health.Down, 'subscribed', Health.Unregistered],
    [Health.Up, 'registered', Health.Up],
  ])('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toBe(to);
  });

  it('closes from every state, and stays closed', () => {
    for (const state of Object.values(Health)) expect(transition(state, 'closed')).toBe(Health.Closed);
    for (const event of events) expect(transition(Health.Closed, event)).toBe(Health.Closed);
  });

  it('is up exactly when registered and subscribed', () => {
    for (const state of Object.values(Health))
      expect(state === Health.Up).toBe(isRegistered(state) && isSubscribed(state));
  });

  it('reaches up again from any running state once both are restored', () => {
    for (const state of [Health.Up, Health.Unregistered, Health.Unsubscribed, Health.Down]) {
      expect(transition(transition(state, 'registered'), 'subscribed')).toBe(Health.Up);
      expect(transition(transition(state, 'subscribed'), 'registered')).toBe(Health.Up);
    }
  });
});
