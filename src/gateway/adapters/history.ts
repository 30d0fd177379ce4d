import { randomBytes } from 'node:crypto';
import type { Audience } from './commands.js';
import type { GroupName, Payload, Session, SocketId, Uid } from '../core/types.js';

/*
 * Delivery across reconnects, at the adapter seam (DESIGN.md "Growing up"; docs/gateway.md "History and recovery").
 *
 * A *stream* is what a client can resume: `group:<name>`, `uid:<uid>` or `all` (sendToAll). Each message sent to a
 * stream gets a *position*: an offset that grows by exactly one per message within an *epoch*, a random string that
 * changes whenever the stream's stored history may have been lost (adapter restart, Redis flush or restart, the
 * stream's keys expiring or being evicted). Two positions with different epochs can't be compared: the client must
 * be told `recovered: false`.
 *
 *   gateway.sendToGroup('a', msg)  ─history on→  adapter history.publish('group:a', {groups:['a']}, payload, exclude)
 *                                                  one atomic step: offset+1, append, fan-out of the framed payload
 *   reconnecting client            ─────────→    history.read(stream, { since, limit })   per stream it presents
 *   socket closes (recovery on)    ─────────→    history.saveRecovery(tokenId, record, window)
 *   client presents its token      ─────────→    history.takeRecovery(tokenId)             (take-and-delete)
 *
 * An adapter supports history by implementing `Adapter.openHistory`; the gateway calls it once, synchronously, from
 * its constructor when `history` or `recovery` is configured, so an adapter without it fails at `createGateway`.
 */

/** A stream name: `group:<name>`, `uid:<uid>` or `all`. Build them with `streamOfGroup` / `streamOfUid` / `ALL_STREAM`. */
export type StreamName = string;

/** The stream of `sendToAll` (with or without `onlyBound`: one stream, the audience decides who gets it live). */
export const ALL_STREAM: StreamName = 'all';

/** The stream of messages sent to group `group`: `group:<group>`. */
export function streamOfGroup(group: GroupName): StreamName {
  return `group:${group}`;
}

/** The stream of messages sent to uid `uid` (`sendToUid`): `uid:<uid>`. */
export function streamOfUid(uid: Uid): StreamName {
  return `uid:${uid}`;
}

/** The audience that receives a stream's messages live: the inverse of `streamOf*`; null for a malformed name. */
export function audienceOfStream(stream: StreamName): Audience | null {
  if (stream === ALL_STREAM) return { kind: 'all' };
  if (stream.startsWith('group:') && stream.length > 6) return { kind: 'groups', groups: [stream.slice(6)] };
  if (stream.startsWith('uid:') && stream.length > 4) return { kind: 'uids', uids: [stream.slice(4)] };
  return null;
}

/** Where a message sits in its stream. Offsets start at 1 in each epoch; 0 means "before the first message". */
export interface StreamPosition {
  /** The stream's epoch: random, changes whenever its stored history may have been lost. */
  readonly epoch: string;
  /** The message's offset within `epoch` (1 for the first; 0: before the first message). */
  readonly offset: number;
}

/** A fresh epoch: 64 random bits, base64url (safe to splice into JSON and Redis keys unescaped). */
export function newEpoch(): string {
  return randomBytes(8).toString('base64url');
}

/** Limits the gateway passes to `openHistory` (validated: positive integers, `ttl` in ms). */
export interface HistoryLimits {
  /** Most messages kept per stream; older ones are trimmed (MAXLEN in Redis). */
  readonly size: number;
  /** Messages older than this many ms are gone; a stream with no message for `ttl` ms may be dropped entirely. */
  readonly ttl: number;
  /**
   * Most streams an adapter keeps at once (memory and cluster primary; Redis bounds them by key expiry instead).
   * Past it, the stream written least recently is dropped: its next message starts a new epoch. It bounds what an
   * application that sends to a fresh uid or group per request (or a hostile peer driving one) can make us keep.
   */
  readonly maxStreams: number;
}

/** What one `publish` did. */
export interface Publication {
  /** The position assigned to the message in its stream. */
  readonly position: StreamPosition;
  /** Sockets the message was written to, on every node (as `Adapter.broadcast` counts them). */
  readonly delivered: number;
}

/** One stored message. */
export interface HistoryEntry {
  /** Its offset in the stream's current epoch. */
  readonly offset: number;
  /** The payload as the application sent it (not the framed publication). */
  readonly payload: Payload;
}

/** What `AdapterHistory.read` is asked for: entries after a position, at most `limit` of them. */
export interface HistoryQuery {
  /**
   * The last position the reader has. Omitted: from the oldest stored message. When `since.epoch` is not the
   * stream's epoch, nothing is returned and `complete` is false.
   */
  readonly since?: StreamPosition;
  /** Most entries to return (≥ 0; 0 asks only for the stream's epoch and top offset). */
  readonly limit: number;
}

/** The answer to `read`. */
export interface HistoryPage {
  /** The stream's current epoch (a stream never written gets one on first read, and keeps it until lost). */
  readonly epoch: string;
  /** Offset of the newest message in this epoch (0 if none yet). */
  readonly top: number;
  /** Entries with offset > `since.offset` (or the oldest kept), ascending, consecutive, at most `limit`. */
  readonly entries: readonly HistoryEntry[];
  /**
   * True when `entries` begins right after `since` (nothing between `since` and the first entry was trimmed or
   * expired, and the epoch matched). False when the reader missed messages that are gone: the client must be told
   * `recovered: false`. (`entries.length < top - since.offset` with `complete` true just means `limit` cut it.)
   */
  readonly complete: boolean;
}

/**
 * What the gateway stores when a socket closes with recovery on, so that a reconnecting client (on any node) can
 * get its identity back. Plain JSON.
 */
export interface RecoveryRecord {
  /** The closed socket's id (the app is told it as the previous id). */
  readonly socketId: SocketId;
  /** The uid bound to it when it closed (null: none). */
  readonly uid: Uid | null;
  /** The groups it was in when it closed. */
  readonly groups: readonly GroupName[];
  /** Its session data when it closed (restored on the recovering socket). */
  readonly session: Session;
  /** When the socket closed (ms since the epoch). */
  readonly closedAt: number;
  /**
   * Per stream the socket was in, a position the socket was owed everything after (where it joined, or up to where
   * a recovery replayed): used for streams the client presents no position for (it joined, then nothing came).
   */
  readonly positions?: Readonly<Record<StreamName, StreamPosition>>;
}

/**
 * History and recovery storage of one adapter (returned by `Adapter.openHistory`). All methods may be called
 * concurrently from any node; each must be safe under that. They are only called after `attach` resolved and not
 * after `close`; they reject with `AdapterUnavailableError` when the store (Redis, the cluster primary) can't be
 * reached, and never hang longer than the adapter's request timeout.
 */
export interface AdapterHistory {
  /**
   * Publishes `payload` to `audience` as the next message of `stream`, in ONE atomic step:
   *   1. offset = stream's top + 1 (a new epoch, offset 1, when the stream had none or lost its history);
   *   2. append `{ offset, payload }`, trimming to `size` entries and dropping those older than `ttl`;
   *   3. write `publicationFrame(stream, position, payload)` (not the bare payload) to every socket in `audience`
   *      on every node except `exclude`, like `Adapter.broadcast`.
   * Every node must deliver the messages of one stream in offset order, so no two publishes of a stream may
   * interleave between steps 1 and 3 (memory: synchronous; Redis: one Lua script doing INCR + XADD MAXLEN +
   * PUBLISH of a header spliced with the offset; cluster: the primary assigns, appends and relays in one handler).
   * If the append fails nothing is delivered. Resolves when delivery is done as `broadcast` resolves; rejects like
   * `broadcast` (`AdapterUnavailableError` with `delivered`).
   */
  publish(stream: StreamName, audience: Audience, payload: Payload, exclude: readonly SocketId[]): Promise<Publication>;
  /** Reads the stream (see `HistoryQuery`, `HistoryPage`). Never creates entries; may assign the first epoch. */
  read(stream: StreamName, query: HistoryQuery): Promise<HistoryPage>;
  /**
   * Stores `record` under `id` for `ttlMs` ms, replacing any record with that id. `id` is the token id the gateway
   * minted (random, 128 bits, base64url), so ids never collide in practice. Redis: `SET key json PX ttl`.
   */
  saveRecovery(id: string, record: RecoveryRecord, ttlMs: number): Promise<void>;
  /**
   * Atomically reads and deletes the record stored under `id`; null if there is none (never saved, expired or
   * already taken). Two concurrent calls with one id (on any nodes) must not both get the record: this is what
   * makes tokens single-use. Redis: `GETDEL` (or a Lua GET+DEL); cluster: the primary's map.
   */
  takeRecovery(id: string): Promise<RecoveryRecord | null>;
  /**
   * Bounds the recovery store (memory/cluster): at most this many records; past it the oldest is dropped (that
   * client will get a refused recovery, never a wrong one). Redis relies on the TTL and may ignore it.
   */
  readonly maxRecoveryRecords?: number;
}

/**
 * The frame a client receives for a message of a stream when history is on: one JSON text frame
 *   {"type":"publication","stream":"group:a","epoch":"e1","offset":42,"data":"<the message as it would have been sent>"}
 * plus `"binary":true` with `data` in base64 for a binary message. `data` is always a JSON string (the text frame the
 * client would have got without history), so the bytes the application sent come back exactly. A Redis script can
 * build it by concatenation: `before + epoch + middle + offset + after` (see `publicationParts`).
 */
export function publicationFrame(stream: StreamName, position: StreamPosition, payload: Payload): Payload {
  const [before, middle, after] = publicationParts(stream, payload);
  return { data: `${before}${position.epoch}${middle}${position.offset}${after}`, binary: false };
}

/** The three constant parts of a publication frame around its epoch and offset (epochs are `[A-Za-z0-9_-]`). */
export function publicationParts(
  stream: StreamName,
  payload: Payload,
): [before: string, middle: string, after: string] {
  const data =
    typeof payload.data === 'string'
      ? JSON.stringify(payload.data)
      : `"${Buffer.from(payload.data.buffer, payload.data.byteOffset, payload.data.byteLength).toString('base64')}"`;
  return [
    `{"type":"publication","stream":${JSON.stringify(stream)},"epoch":"`,
    '","offset":',
    payload.binary ? `,"data":${data},"binary":true}` : `,"data":${data}}`,
  ];
}
