/** A timer from `gateway.every` / `gateway.after` (either scope). */
export interface TimerHandle {
  /** Stops the timer (idempotent). */
  cancel(): void;
  /** False once cancelled, after an `after` timer fired, or once the gateway closed. */
  readonly active: boolean;
}
