import type { Audience } from '../commands.js';
import type {
  HistoryEntry,
  HistoryLimits,
  HistoryPage,
  RecoveryRecord,
  StreamName,
  StreamPosition,
} from '../history.js';
import type { Payload, SocketId } from '../../core/types.js';

/*
 * The history calls a worker makes to the cluster primary (ipc.ts carries them like every other hub call). Each
 * carries the worker's limits: the primary opens its store with the first it sees (every worker runs the same
 * gateway options), so it needs no configuration of its own.
 *
 *   hpub   assign the next position of `stream`, store, relay the publication to the audience's nodes and the
 *          sender (publication-wire.ts)                                   → { e: epoch, o: offset, r: nodes reached }
 *   hread  read a stream                                                 → a page, payloads as text or base64
 *   hsave  store a recovery record for `ttl` ms                          → true
 *   htake  take (read and delete) a recovery record                      → the record or null
 */
export type HistoryCall =
  | {
      readonly t: 'hpub';
      readonly limits: HistoryLimits;
      readonly stream: StreamName;
      readonly a: Audience;
      readonly x: readonly SocketId[];
      /** The request id the nodes acknowledge. */
      readonly m: number;
      readonly s?: string;
      readonly b64?: string;
    }
  | {
      readonly t: 'hread';
      readonly limits: HistoryLimits | null;
      readonly stream: StreamName;
      readonly since?: StreamPosition;
      readonly limit: number;
    }
  | { readonly t: 'hsave'; readonly id: string; readonly record: RecoveryRecord; readonly ttl: number }
  | { readonly t: 'htake'; readonly id: string };

export const HISTORY_CALLS = ['hpub', 'hread', 'hsave', 'htake'] as const;

export interface PublishAnswer {
  readonly e: string;
  readonly o: number;
  readonly r: readonly string[];
}

/** An entry as it crosses IPC (JSON): text as is, bytes as base64. */
export interface WireEntry {
  readonly o: number;
  readonly s?: string;
  readonly b64?: string;
}

export interface WirePage {
  readonly epoch: string;
  readonly top: number;
  readonly complete: boolean;
  readonly entries: readonly WireEntry[];
}

export function payloadToWire(payload: Payload): { s: string } | { b64: string } {
  const data = payload.data;
  if (typeof data === 'string') return { s: data };
  if (!payload.binary) return { s: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8') };
  return { b64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

export function payloadFromWire(wire: { readonly s?: string; readonly b64?: string }): Payload {
  return typeof wire.b64 === 'string'
    ? { data: new Uint8Array(Buffer.from(wire.b64, 'base64')), binary: true }
    : { data: typeof wire.s === 'string' ? wire.s : '', binary: false };
}

export function pageToWire(page: HistoryPage): WirePage {
  return {
    epoch: page.epoch,
    top: page.top,
    complete: page.complete,
    entries: page.entries.map((e) => ({ o: e.offset, ...payloadToWire(e.payload) })),
  };
}

export function pageFromWire(wire: WirePage): HistoryPage {
  return {
    epoch: wire.epoch,
    top: wire.top,
    complete: wire.complete,
    entries: wire.entries.map((e): HistoryEntry => ({ offset: e.o, payload: payloadFromWire(e) })),
  };
}
