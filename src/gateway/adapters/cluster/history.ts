import type { Audience } from '../commands.js';
import type {
  AdapterHistory,
  HistoryLimits,
  HistoryPage,
  HistoryQuery,
  Publication,
  RecoveryRecord,
  StreamName,
} from '../history.js';
import type { Payload, SocketId } from '../../core/types.js';
import { pageFromWire, payloadToWire, type HistoryCall, type PublishAnswer, type WirePage } from './history-calls.js';

/** What the cluster adapter lends its history. */
export interface ClusterHistoryHost {
  /** A call to the primary (rejects with `AdapterUnavailableError` when it is unreachable or doesn't answer). */
  call(call: HistoryCall): Promise<unknown>;
  checkAvailable(): void;
  /** The base's `gather`: sends with a request id, resolves to the acknowledged socket count. */
  gather(send: (id: number) => Promise<readonly string[]>): Promise<number>;
}

/**
 * A worker's history: every call goes to the primary (history-hub.ts), which assigns positions, stores, relays
 * publications (to this worker too: it delivers its own publications when they come back, in the primary's
 * order) and keeps recovery records.
 */
export class ClusterHistory implements AdapterHistory {
  constructor(
    private readonly host: ClusterHistoryHost,
    private readonly limits: HistoryLimits | null,
  ) {}

  async publish(
    stream: StreamName,
    audience: Audience,
    payload: Payload,
    exclude: readonly SocketId[],
  ): Promise<Publication> {
    const limits = this.limits;
    if (limits === null) throw new Error('history is off: publish is not available');
    this.host.checkAvailable();
    let position = { epoch: '', offset: 0 };
    const delivered = await this.host.gather(async (m) => {
      const answer = (await this.host.call({
        t: 'hpub',
        limits,
        stream,
        a: audience,
        x: exclude,
        m,
        ...payloadToWire(payload),
      })) as PublishAnswer;
      position = { epoch: answer.e, offset: answer.o };
      return answer.r;
    });
    return { position, delivered };
  }

  async read(stream: StreamName, query: HistoryQuery): Promise<HistoryPage> {
    this.host.checkAvailable();
    const call: HistoryCall =
      query.since === undefined
        ? { t: 'hread', limits: this.limits, stream, limit: query.limit }
        : { t: 'hread', limits: this.limits, stream, since: query.since, limit: query.limit };
    return pageFromWire((await this.host.call(call)) as WirePage);
  }

  async saveRecovery(id: string, record: RecoveryRecord, ttlMs: number): Promise<void> {
    this.host.checkAvailable();
    await this.host.call({ t: 'hsave', id, record, ttl: ttlMs });
  }

  async takeRecovery(id: string): Promise<RecoveryRecord | null> {
    this.host.checkAvailable();
    return ((await this.host.call({ t: 'htake', id })) as RecoveryRecord | null) ?? null;
  }
}
