// The browser client of the delivery fault tests (one node, node:cluster, Redis): a WsgateClient over `ws` that
// records every `chat` number it is given and its recovery events, with short reconnect delays. `onOpen` is the
// app's part after each (re)connection, e.g. re-joining the group when the server did not give it back.
import { WebSocket as NodeWebSocket } from 'ws';
import { WsgateClient } from '../../src/gateway/client/wsgate-client.js';

export interface RecordingClient {
  readonly c: WsgateClient;
  /** The `chat` numbers delivered to the app, in order. */
  readonly received: number[];
  /** `open:<recovered>`, `recovered`, `recovery-failed:<reason>`, in order. */
  readonly events: string[];
}

const clients: WsgateClient[] = [];

export function recordingClient(
  port: number,
  onOpen: (client: WsgateClient, recovered: boolean) => void,
): RecordingClient {
  const c = new WsgateClient(`ws://127.0.0.1:${port}/ws`, {
    WebSocket: NodeWebSocket,
    reconnect: { minDelay: 50, maxDelay: 200, jitter: false },
  });
  clients.push(c);
  const received: number[] = [];
  const events: string[] = [];
  c.on<number>('chat', (n) => received.push(n));
  c.on('recovered', () => events.push('recovered'));
  c.on('recovery-failed', (e) => events.push(`recovery-failed:${e.reason}`));
  c.on('open', (e) => {
    events.push(`open:${String(e.recovered)}`);
    onOpen(c, e.recovered);
  });
  return { c, received, events };
}

/** The app's usual part: join `room` unless recovery gave the groups back. */
export function joinRoomUnlessRecovered(client: WsgateClient, recovered: boolean): void {
  if (!recovered) void client.request('join', 'room');
}

/** Closes every client made since the last call (afterEach). */
export function closeRecordingClients(): void {
  for (const c of clients.splice(0)) c.close();
}

/** How many entries of `list` repeat an earlier one. */
export function duplicates(list: readonly number[]): number {
  return list.length - new Set(list).size;
}

/** `from`, `from + 1`, ..., `to`. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
