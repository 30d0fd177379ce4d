/*
 * The Redis adapter's health: one state, changed only by `transition` (h11's `_state.py` is the model). Two things
 * must hold for cross-node work: Redis holds this node's presence ("registered": written after every connection
 * loss, Redis restart or reaping) and the subscriber connection has every wanted channel ("subscribed": replies
 * and fan-outs arrive on it). Each is lost and restored on its own connection, hence the four running states.
 *
 *                 started                  presenceLost
 *   STARTING ───────────────→ UP ──────────────────────→ UNREGISTERED
 *                             │ ↑ ←─────────────────────       │
 *              unsubscribed   │ │ subscribed    registered      │ unsubscribed
 *                             ↓ │                              ↓
 *                        UNSUBSCRIBED ──────────────────────→ DOWN
 *                                      presenceLost
 *                                   ←──────────────────────
 *                                      registered
 *   (DOWN ─subscribed→ UNREGISTERED; every state ─closed→ CLOSED; any other event leaves the state as it is)
 */

/** The Redis adapter's connection state, as the diagram above moves it (exported as `RedisHealth`). */
export enum Health {
  /** `attach` is connecting, subscribing and writing the presence. */
  Starting = 'starting',
  /** Registered and subscribed: everything works. */
  Up = 'up',
  /** Subscribed, but Redis doesn't hold this node's presence (being written again). */
  Unregistered = 'unregistered',
  /** Registered, but the subscriber connection or its channels are lost (being restored). */
  Unsubscribed = 'unsubscribed',
  /** Neither. */
  Down = 'down',
  /** The adapter was closed (the gateway closed). */
  Closed = 'closed',
}

export type HealthEvent = 'started' | 'registered' | 'presenceLost' | 'subscribed' | 'unsubscribed' | 'closed';

const TABLE: { readonly [S in Health]: { readonly [E in HealthEvent]?: Health } } = {
  [Health.Starting]: { started: Health.Up, closed: Health.Closed },
  [Health.Up]: { presenceLost: Health.Unregistered, unsubscribed: Health.Unsubscribed, closed: Health.Closed },
  [Health.Unregistered]: { registered: Health.Up, unsubscribed: Health.Down, closed: Health.Closed },
  [Health.Unsubscribed]: { subscribed: Health.Up, presenceLost: Health.Down, closed: Health.Closed },
  [Health.Down]: { registered: Health.Unsubscribed, subscribed: Health.Unregistered, closed: Health.Closed },
  [Health.Closed]: {},
};

/** The state after `event`. */
export function transition(state: Health, event: HealthEvent): Health {
  return TABLE[state][event] ?? state;
}

/** Redis holds this node's presence. */
export function isRegistered(state: Health): boolean {
  return state === Health.Up || state === Health.Unsubscribed;
}

/** Replies and fan-outs can arrive. */
export function isSubscribed(state: Health): boolean {
  return state === Health.Up || state === Health.Unregistered;
}
