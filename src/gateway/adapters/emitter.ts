// The events of the scale-out layer (adapters); the emitter itself is the gateway layer's one (core/emitter.ts),
// without an error handler: a listener's bug must never be thrown into a transport's I/O callback.

/** What a scale-out adapter reports about its transport. */
export interface AdapterEvents {
  /** The transport is usable again (after attach, or after an outage once presence and subscriptions are back). */
  up: () => void;
  /** The transport is down: local delivery goes on, cross-node sends and queries are rejected until `up`. */
  down: (reason: string) => void;
  /** This node's whole presence was written again (after an outage, or after others declared it dead). */
  resync: (sockets: number) => void;
  /** A transport error (connection errors included). Dropped when nobody listens. */
  error: (error: unknown) => void;
}

/** The events of `adapter.on(event, listener)`. */
export type AdapterEventName = keyof AdapterEvents;
