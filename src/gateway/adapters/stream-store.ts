import {
  newEpoch,
  type HistoryEntry,
  type HistoryLimits,
  type HistoryPage,
  type HistoryQuery,
  type RecoveryRecord,
  type StreamName,
  type StreamPosition,
} from './history.js';
import type { Payload } from '../core/types.js';

/*
 * In-process history and recovery storage: what the memory adapter keeps, and what the cluster primary can keep
 * for all its workers. Synchronous, so that assigning an offset and delivering happen without a gap between them.
 *
 * Bounds (a peer or an application must not make us grow without limit): `size` entries per stream, entries
 * older than `ttl` dropped, at most `maxStreams` streams (the least recently written one goes first, and a stream
 * idle for `ttl` is dropped as the store is used), at most `maxRecords` recovery records (oldest dropped first).
 */

interface StoredEntry extends HistoryEntry {
  readonly at: number;
}

class Stream {
  readonly epoch = newEpoch();
  top = 0;
  lastWrite: number;
  /** Ring buffer of the newest entries: `ring[(head + i) % size]`, i < count. */
  private readonly ring: (StoredEntry | undefined)[] = [];
  private head = 0;
  private count = 0;

  constructor(
    private readonly size: number,
    now: number,
  ) {
    this.lastWrite = now;
  }

  append(payload: Payload, now: number): number {
    const offset = ++this.top;
    const entry: StoredEntry = { offset, payload, at: now };
    if (this.count < this.size) {
      this.ring[(this.head + this.count) % this.size] = entry;
      this.count++;
    } else {
      this.ring[this.head] = entry;
      this.head = (this.head + 1) % this.size;
    }
    this.lastWrite = now;
    return offset;
  }

  /** Drops entries written before `oldest`. */
  expire(oldest: number): void {
    while (this.count > 0) {
      const first = this.ring[this.head]!;
      if (first.at >= oldest) return;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.size;
      this.count--;
    }
  }

  /** Offset of the oldest kept entry (top + 1 when none is kept). */
  get oldest(): number {
    return this.count === 0 ? this.top + 1 : this.ring[this.head]!.offset;
  }

  entriesFrom(offset: number, limit: number): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    const skip = Math.max(0, offset - this.oldest);
    for (let i = skip; i < this.count && out.length < limit; i++) {
      const { offset: o, payload } = this.ring[(this.head + i) % this.size]!;
      out.push({ offset: o, payload });
    }
    return out;
  }
}

export class StreamStore {
  /** In order of last write (a Map keeps insertion order: a write moves the stream to the end). */
  private readonly streams = new Map<StreamName, Stream>();

  constructor(
    private readonly limits: HistoryLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get streamCount(): number {
    return this.streams.size;
  }

  /** Appends `payload` to `stream`; the position it got. */
  append(name: StreamName, payload: Payload): StreamPosition {
    const now = this.now();
    let stream = this.streams.get(name);
    if (stream !== undefined) this.streams.delete(name);
    else stream = new Stream(this.limits.size, now);
    this.streams.set(name, stream);
    stream.expire(now - this.limits.ttl);
    const offset = stream.append(payload, now);
    this.evict(now);
    return { epoch: stream.epoch, offset };
  }

  read(name: StreamName, query: HistoryQuery): HistoryPage {
    const now = this.now();
    let stream = this.streams.get(name);
    if (stream === undefined) {
      // A stream nobody wrote gets its epoch now and keeps it, so a reader's "nothing yet" stays comparable.
      stream = new Stream(this.limits.size, now);
      this.streams.set(name, stream);
      this.evict(now);
    }
    stream.expire(now - this.limits.ttl);
    const limit = Math.max(0, Math.floor(query.limit));
    const { epoch, top } = stream;
    const since = query.since;
    if (since === undefined) {
      return { epoch, top, entries: stream.entriesFrom(stream.oldest, limit), complete: stream.oldest === 1 };
    }
    if (since.epoch !== epoch || since.offset > top || since.offset < 0) {
      return { epoch, top, entries: [], complete: false };
    }
    const from = since.offset + 1;
    const complete = from >= stream.oldest;
    return { epoch, top, entries: stream.entriesFrom(Math.max(from, stream.oldest), limit), complete };
  }

  /** Over `maxStreams`, or idle for `ttl`: the least recently written streams go (a few per call, amortized). */
  private evict(now: number): void {
    while (this.streams.size > this.limits.maxStreams) this.dropFirst();
    for (let i = 0; i < 2; i++) {
      const first = this.streams.values().next();
      if (first.done === true || first.value.lastWrite >= now - this.limits.ttl) return;
      this.dropFirst();
    }
  }

  private dropFirst(): void {
    const first = this.streams.keys().next();
    if (first.done !== true) this.streams.delete(first.value);
  }
}

/** Single-use recovery records with a deadline each, at most `maxRecords` of them. */
export class RecoveryStore {
  private readonly records = new Map<string, { record: RecoveryRecord; expires: number }>();

  constructor(
    readonly maxRecords: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.records.size;
  }

  save(id: string, record: RecoveryRecord, ttlMs: number): void {
    const now = this.now();
    this.records.delete(id);
    this.records.set(id, { record, expires: now + ttlMs });
    while (this.records.size > this.maxRecords) this.dropFirst();
    // Records are saved with one window, so insertion order is expiry order: sweep the expired ones at the front.
    for (let i = 0; i < 4; i++) {
      const first = this.records.values().next();
      if (first.done === true || first.value.expires > now) break;
      this.dropFirst();
    }
  }

  take(id: string): RecoveryRecord | null {
    const stored = this.records.get(id);
    if (stored === undefined) return null;
    this.records.delete(id);
    return stored.expires > this.now() ? stored.record : null;
  }

  private dropFirst(): void {
    const first = this.records.keys().next();
    if (first.done !== true) this.records.delete(first.value);
  }
}
