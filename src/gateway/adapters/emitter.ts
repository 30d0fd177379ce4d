/*
 * One typed emitter for the scale-out layer (adapters, the cluster hub). Listener errors are swallowed: they must
 * never be thrown into a transport's I/O callback. The gateway's own `GatewayEmitter` (events.ts) reports them on
 * `error` instead and could become a subclass of this one.
 */

type Listener = (...args: never[]) => void;

/** `Events` maps each event name to its listener's signature. */
export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Listener[]>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let list = this.listeners.get(event);
    if (list === undefined) this.listeners.set(event, (list = []));
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i !== -1) list.splice(i, 1);
    };
  }

  has(event: keyof Events): boolean {
    return (this.listeners.get(event)?.length ?? 0) > 0;
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const list = this.listeners.get(event);
    if (list === undefined || list.length === 0) return;
    for (const listener of list.slice()) {
      try {
        (listener as (...a: Parameters<Events[K]>) => void)(...args);
      } catch {
        // a listener's bug must not break the transport
      }
    }
  }
}

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
