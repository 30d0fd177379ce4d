/**
 * The time limit on unfinished messages, for every socket of the process with one timer: a peer that starts a
 * message and never finishes it would otherwise hold its bytes (and its share of the message budget) for as long as
 * it keeps the connection open.
 *
 * The cost that matters is per message, since a message that spans two TCP reads starts and stops the clock. So
 * starting and stopping are two writes to the socket's own field (`messageStartedAt`), and the set of watched
 * sockets changes only when a socket first starts a message and when the sweep finds it idle. Adding and deleting
 * a Map entry per message instead cost up to a fifth of the server's CPU on 16 KiB echo, nearly all of it in the
 * garbage collector (the churn keeps reallocating the table; measured with --cpu-prof, see the issue 10 note).
 * A timer per socket would cost an object per connection and a timer-list operation per message.
 */

/** What the sweep needs of a socket. */
export interface MessageClockOwner {
  /** `Date.now()` when the message in progress started; 0 when none. Written by the socket, read by the sweep. */
  messageStartedAt: number;
  /** The socket's limit in ms. */
  readonly messageTimeout: number;
  /** Whether the socket is in the watched set (only this module writes it). */
  messageClockWatched: boolean;
  /** The message in progress has run past its deadline. */
  onMessageTimeout(): void;
}

const watched = new Set<MessageClockOwner>();
let timer: NodeJS.Timeout | null = null;
let timerPeriod = 0;

/** Sweep often enough to close within a quarter of the limit past it, but at most once every 10 ms. */
const MIN_SWEEP_PERIOD = 10;
const MAX_SWEEP_PERIOD = 1_000;

/** A message started on `owner`: it must end within `owner.messageTimeout` ms. */
export function startMessageClock(owner: MessageClockOwner): void {
  owner.messageStartedAt = Date.now();
  if (owner.messageClockWatched) return;
  owner.messageClockWatched = true;
  watched.add(owner);
  const period = Math.min(MAX_SWEEP_PERIOD, Math.max(MIN_SWEEP_PERIOD, Math.floor(owner.messageTimeout / 4)));
  if (timer !== null && timerPeriod <= period) return;
  if (timer !== null) clearInterval(timer);
  timerPeriod = period;
  timer = setInterval(sweep, period);
  // The sweep never keeps a process alive by itself.
  timer.unref();
}

/**
 * The message on `owner` ended (or the socket closed). The socket leaves the watched set at the next sweep that
 * finds it idle, so a socket that keeps sending stays in it, and one that closed is held at most one sweep longer.
 */
export function stopMessageClock(owner: MessageClockOwner): void {
  owner.messageStartedAt = 0;
}

/** Sockets with a message in progress (for tests). */
export function messageClockCount(): number {
  let count = 0;
  for (const owner of watched) if (owner.messageStartedAt !== 0) count++;
  return count;
}

function sweep(): void {
  const now = Date.now();
  for (const owner of watched) {
    if (owner.messageStartedAt === 0) {
      owner.messageClockWatched = false;
      watched.delete(owner);
    } else if (now - owner.messageStartedAt >= owner.messageTimeout) {
      owner.messageStartedAt = 0;
      owner.onMessageTimeout();
    }
  }
  if (watched.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}
