import type { Audience } from '../commands.js';
import { AdapterUnavailableError } from '../errors.js';
import {
  newEpoch,
  publicationParts,
  type AdapterHistory,
  type HistoryEntry,
  type HistoryLimits,
  type HistoryPage,
  type HistoryQuery,
  type Publication,
  type RecoveryRecord,
  type StreamName,
} from '../history.js';
import { publicationHeader } from '../publication-wire.js';
import type { Payload, SocketId } from '../../core/types.js';
import type { RedisArgument, RedisLink } from './client.js';
import { HISTORY_PUBLISH_SCRIPT, HISTORY_READ_SCRIPT, TAKE_RECOVERY_SCRIPT } from './history-scripts.js';
import { LuaScript } from './scripts.js';
import { withTimeout } from './timeout.js';

/*
 * History and recovery records in Redis (the scripts and what changes an epoch: history-scripts.ts). Keys, under the
 * adapter's `wsgate:{<namespace>}:` prefix (one hash slot, like every other key of the adapter):
 *
 *   h:<stream>    hash     epoch, top offset, run_id of the server that wrote it
 *   hs:<stream>   stream   the messages, id `<offset>-0`
 *   rec:<id>      string   a recovery record (JSON), PX = the recovery window; taken with GET+DEL in one script
 */

const publishScript = new LuaScript(HISTORY_PUBLISH_SCRIPT);
const readScript = new LuaScript(HISTORY_READ_SCRIPT);
const takeScript = new LuaScript(TAKE_RECOVERY_SCRIPT);

/** What the Redis adapter lends its history. */
export interface RedisHistoryHost {
  readonly prefix: string;
  readonly requestTimeout: number;
  nodeId(): string;
  /** The command connection, or throws `AdapterUnavailableError`. */
  link(): RedisLink;
  /** Throws `AdapterUnavailableError` unless publications can be delivered (subscribed, registered). */
  checkPublish(): void;
  /** The base's `gather`: sends with a request id, resolves to the acknowledged socket count. */
  gather(send: (id: number) => Promise<number>): Promise<number>;
}

export class RedisHistory implements AdapterHistory {
  /** The Redis server's `run_id`, fetched once per connection (a restart or failover changes it). */
  private runId: Promise<string> | null = null;
  /** The epoch of every stream when history is off (recovery only): nothing is kept, nothing can be resumed. */
  private readonly lostEpoch = newEpoch();

  constructor(
    private readonly host: RedisHistoryHost,
    private readonly limits: HistoryLimits | null,
  ) {}

  /** The command connection went down or came back (maybe to another server): fetch the run_id again. */
  connectionChanged(): void {
    this.runId = null;
  }

  async publish(
    stream: StreamName,
    audience: Audience,
    payload: Payload,
    exclude: readonly SocketId[],
  ): Promise<Publication> {
    const limits = this.limits;
    if (limits === null) throw new Error('history is off: publish is not available');
    const [kind, names] = routeOf(audience, this.host.nodeId());
    const data =
      typeof payload.data === 'string'
        ? payload.data
        : payload.binary
          ? base64(payload.data)
          : Buffer.from(payload.data).toString('utf8');
    const [before, middle, after] = publicationParts(stream, payload);
    let position = { epoch: '', offset: 0 };
    this.host.checkPublish();
    const delivered = await this.host.gather(async (id) => {
      const reply = await this.run(publishScript, stream, [
        this.host.prefix,
        newEpoch(),
        await this.serverRunId(),
        String(limits.size),
        String(limits.ttl),
        data,
        payload.binary ? '1' : '0',
        kind,
        publicationHeader(this.host.nodeId(), id, audience, exclude),
        before,
        middle,
        after,
        ...names,
      ]);
      const [epoch, offset, reached] = asArray(reply);
      position = { epoch: text(epoch), offset: Number(offset) };
      return Number(reached);
    });
    return { position, delivered };
  }

  async read(stream: StreamName, query: HistoryQuery): Promise<HistoryPage> {
    const limits = this.limits;
    const limit = Math.max(0, Math.floor(query.limit));
    if (limits === null) return { epoch: this.lostEpoch, top: 0, entries: [], complete: false };
    const since = query.since;
    const reply = await this.run(readScript, stream, [
      newEpoch(),
      await this.serverRunId(),
      String(limits.ttl),
      since?.epoch ?? '',
      String(since?.offset ?? 0),
      String(Math.min(limit, limits.size)),
    ]);
    const [rawEpoch, rawTop, rawOldest, rawEntries] = asArray(reply);
    const epoch = text(rawEpoch);
    const top = Number(rawTop);
    const oldest = Number(rawOldest);
    const entries = asArray(rawEntries).map(toEntry);
    if (since === undefined) return { epoch, top, entries, complete: oldest === 1 };
    if (since.epoch !== epoch || since.offset > top || since.offset < 0)
      return { epoch, top, entries: [], complete: false };
    return { epoch, top, entries, complete: since.offset + 1 >= oldest };
  }

  async saveRecovery(id: string, record: RecoveryRecord, ttlMs: number): Promise<void> {
    const ttl = String(Math.max(1, Math.ceil(ttlMs)));
    await this.command(['SET', this.recordKey(id), JSON.stringify(record), 'PX', ttl]);
  }

  async takeRecovery(id: string): Promise<RecoveryRecord | null> {
    const reply = await this.guard(takeScript.run(this.host.link(), [this.recordKey(id)], []));
    if (reply === null || reply === undefined) return null;
    try {
      const record: unknown = JSON.parse(text(reply));
      return typeof record === 'object' && record !== null ? (record as RecoveryRecord) : null;
    } catch {
      return null;
    }
  }

  // ── Redis ──────────────────────────────────────────────────────────────────────────────────────────────────────

  private recordKey(id: string): string {
    return `${this.host.prefix}rec:${id}`;
  }

  private run(script: LuaScript, stream: StreamName, args: RedisArgument[]): Promise<unknown> {
    const keys = [`${this.host.prefix}h:${stream}`, `${this.host.prefix}hs:${stream}`];
    return this.guard(script.run(this.host.link(), keys, args));
  }

  private command(args: RedisArgument[]): Promise<unknown> {
    return this.guard(this.host.link().command(args));
  }

  /** A Redis call as the history contract wants it: `AdapterUnavailableError`, never longer than the timeout. */
  private async guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await withTimeout(
        call,
        this.host.requestTimeout,
        `no answer from Redis within ${this.host.requestTimeout} ms`,
      );
    } catch (error) {
      if (error instanceof AdapterUnavailableError) throw error;
      throw new AdapterUnavailableError('Redis history call failed', { cause: error });
    }
  }

  private serverRunId(): Promise<string> {
    if (this.runId === null) {
      const fetching = this.command(['INFO', 'server']).then((info) => {
        const match = /run_id:([0-9a-f]+)/.exec(text(info));
        if (match === null) throw new AdapterUnavailableError('Redis INFO has no run_id');
        return match[1]!;
      });
      this.runId = fetching;
      fetching.catch(() => {
        if (this.runId === fetching) this.runId = null;
      });
    }
    return this.runId;
  }
}

/** The script's audience kind and names. A group stream has one group; more would be delivered twice. */
function routeOf(audience: Audience, origin: string): [kind: string, names: string[]] {
  switch (audience.kind) {
    case 'all':
      return ['a', []];
    case 'groups':
      if (audience.groups.length !== 1) throw new TypeError('a history publication goes to exactly one group');
      return ['g', [audience.groups[0]!]];
    case 'uids':
      return ['u', [origin, ...new Set(audience.uids)]];
  }
}

function toEntry(raw: unknown): HistoryEntry {
  const [id, fields] = asArray(raw);
  const f = asArray(fields).map(text);
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < f.length; i += 2) values[f[i]!] = f[i + 1]!;
  const offset = Number.parseInt(text(id), 10);
  const data = values.d ?? '';
  return values.b === '1'
    ? { offset, payload: { data: new Uint8Array(Buffer.from(data, 'base64')), binary: true } }
    : { offset, payload: { data, binary: false } };
}

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function asArray(reply: unknown): unknown[] {
  return Array.isArray(reply) ? reply : [];
}

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString() : String(value);
}
