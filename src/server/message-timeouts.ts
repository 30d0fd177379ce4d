/**
 * The time limit on unfinished messages, for every socket of the process with one timer: a peer that starts a
 * message and never finishes it would otherwise hold its bytes (and its share of the message budget) for as long as
 * it keeps the connection open. A timer per socket would cost an object per connection and a timer-list operation
 * per message; instead the sockets with a message in progress sit in one map with their deadline, swept by one
 * unref'd interval that runs only while the map is not empty.
 */

/** What the sweep needs of a socket. */
export interface MessageClockOwner {
  /** The message in progress has run past its deadline. */
  onMessageTimeout(): void;
}

const deadlines = new Map<MessageClockOwner, number>();
let timer: NodeJS.Timeout | null = null;
let timerPeriod = 0;

/** Sweep often enough to close within a quarter of the limit past it, but at most once every 10 ms. */
const MIN_SWEEP_PERIOD = 10;
const MAX_SWEEP_PERIOD = 1_000;

/** A message started on `owner`: it must end within `timeout` ms. */
export function startMessageClock(owner: MessageClockOwner, timeout: number): void {
  deadlines.set(owner, Date.now() + timeout);
  const period = Math.min(MAX_SWEEP_PERIOD, Math.max(MIN_SWEEP_PERIOD, Math.floor(timeout / 4)));
  if (timer !== null && timerPeriod <= period) return;
  if (timer !== null) clearInterval(timer);
  timerPeriod = period;
  timer = setInterval(sweep, period);
  // The sweep never keeps a process alive by itself.
  timer.unref();
}

/** The message on `owner` ended (or the socket closed). The timer stops at the next sweep that finds nothing. */
export function stopMessageClock(owner: MessageClockOwner): void {
  deadlines.delete(owner);
}

/** Sockets with a message in progress (for tests). */
export function messageClockCount(): number {
  return deadlines.size;
}

function sweep(): void {
  const now = Date.now();
  for (const [owner, deadline] of deadlines) {
    if (deadline > now) continue;
    deadlines.delete(owner);
    owner.onMessageTimeout();
  }
  if (deadlines.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}
