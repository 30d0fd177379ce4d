/*
 * The one typed event emitter of the gateway layer: the gateway's events, the adapters' transport events and the
 * cluster hub's. A listener that throws never reaches the code that emitted (a transport's I/O callback, the
 * gateway's dispatch): its error goes to `onListenerError`, or is dropped when there is none.
 */

type Listener = (...args: never[]) => void;

/** Where a throwing listener's error goes: the event it was listening to and that event's arguments. */
export type ListenerErrorHandler = (error: unknown, event: PropertyKey, args: readonly unknown[]) => void;

/** `Events` maps each event name to its listener's signature. */
export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Listener[]>();

  constructor(private readonly onListenerError?: ListenerErrorHandler) {}

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
    // A copy: a listener may remove itself (or another) while we iterate.
    for (const listener of list.slice()) {
      try {
        (listener as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (error) {
        this.onListenerError?.(error, event, args);
      }
    }
  }
}
