import { newEpoch, publicationFrame, type HistoryLimits } from '../history.js';
import { MEMORY_MAX_RECOVERY_RECORDS } from '../memory/memory-adapter.js';
import { encodePublicationJson } from '../publication-wire.js';
import { RecoveryStore, StreamStore } from '../stream-store.js';
import type { JsonMessage } from '../wire.js';
import { pageToWire, payloadFromWire, type HistoryCall, type PublishAnswer, type WirePage } from './history-calls.js';

/**
 * The cluster primary's history: the same bounded ring buffers (`StreamStore`) and recovery records as the memory
 * adapter, for every worker. The primary handles one IPC message at a time, so assigning a position, storing and
 * relaying the publication (to every node of the audience, the sender included) is one step: each worker gets a
 * stream's publications in offset order. A restart of the primary restarts the workers and loses the store; the
 * new store's epochs say so.
 */
export class HubHistory {
  private streams: StreamStore | null = null;
  private readonly records = new RecoveryStore(MEMORY_MAX_RECOVERY_RECORDS);
  /** The epoch of every stream while no worker has history on (recovery only). */
  private readonly lostEpoch = newEpoch();

  /**
   * Answers a history call of node `from`. `relay(nodes, msg)` sends a publication to the audience's nodes and the
   * sender; it returns the nodes it reached.
   */
  handle(
    from: string,
    call: HistoryCall,
    nodesFor: (call: HistoryCall & { t: 'hpub' }) => string[],
    relay: (node: string, msg: JsonMessage) => boolean,
  ): unknown {
    switch (call.t) {
      case 'hpub': {
        const streams = this.open(call.limits);
        const payload = payloadFromWire(call);
        const position = streams.append(call.stream, payload);
        const frame = publicationFrame(call.stream, position, payload).data as string;
        const msg = encodePublicationJson(from, call.m, call.a, call.x, frame);
        const reached = [...new Set([from, ...nodesFor(call)])].filter((node) => relay(node, msg));
        return { e: position.epoch, o: position.offset, r: reached } satisfies PublishAnswer;
      }
      case 'hread': {
        const streams = call.limits === null ? null : this.open(call.limits);
        if (streams === null) return { epoch: this.lostEpoch, top: 0, complete: false, entries: [] } satisfies WirePage;
        return pageToWire(
          streams.read(
            call.stream,
            call.since === undefined ? { limit: call.limit } : { since: call.since, limit: call.limit },
          ),
        );
      }
      case 'hsave':
        this.records.save(call.id, call.record, call.ttl);
        return true;
      case 'htake':
        return this.records.take(call.id);
    }
  }

  /** Streams kept, for tests and metrics. */
  get streamCount(): number {
    return this.streams?.streamCount ?? 0;
  }

  get recordCount(): number {
    return this.records.size;
  }

  private open(limits: HistoryLimits): StreamStore {
    // Every worker runs the same gateway options: the first limits seen are the store's.
    this.streams ??= new StreamStore(limits);
    return this.streams;
  }
}
