/** What a scale-out adapter reports about its transport (connection lost and back, presence written again). */
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

export type AdapterEventName = keyof AdapterEvents;

/** A tiny typed emitter: listener errors are swallowed, never thrown into the adapter's I/O callbacks. */
export class AdapterEmitter {
  private readonly listeners: { [K in AdapterEventName]: AdapterEvents[K][] } = { up: [], down: [], resync: [], error: [] };

  on<K extends AdapterEventName>(event: K, listener: AdapterEvents[K]): () => void {
    const list = this.listeners[event];
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i !== -1) list.splice(i, 1);
    };
  }

  emit<K extends AdapterEventName>(event: K, ...args: Parameters<AdapterEvents[K]>): void {
    for (const listener of [...this.listeners[event]]) {
      try {
        (listener as (...a: Parameters<AdapterEvents[K]>) => void)(...args);
      } catch {
        // a listener's bug must not break the adapter
      }
    }
  }
}
