import {
  ALL_STREAM,
  publicationFrame,
  streamOfGroup,
  streamOfUid,
  type RecoveryRecord,
  type StreamName,
  type StreamPosition,
} from '../adapters/history.js';
import { ErrorCode, GatewayError } from './errors.js';
import type { GatewayEmitter } from './events.js';
import type { GatewaySocket } from './gateway-socket.js';
import { isPosition, unavailable, type GatewayHistory } from './history.js';
import type { ResolvedRecovery } from './history-options.js';
import type { LocalNode } from './local-node.js';
import { RecoveryTokens } from './recovery-token.js';
import { countSend, type Counters } from './stats.js';
import { nodeOfSocketId } from './socket-id.js';
import type { Session } from './types.js';

/*
 * Connection-state recovery (docs/gateway.md "History and recovery"):
 *
 *   open        → server pushes {"type":"$recovery","data":{"token","socketId"}}   (a fresh token per socket)
 *   close       → adapter.saveRecovery(tokenId, {socketId, uid, groups, session, positions}, window)
 *   new socket  → client sends {"type":"$recover","id":…,"data":{"token","positions":{stream:{epoch,offset}}}}
 *               ← publication frames it missed, per stream in order
 *               ← {"type":"$recover","id":…,"data":{"socketId","previousId","streams":{stream:{recovered,epoch,offset}}}}
 *
 * The client buffers publications until the reply and then delivers each stream in offset order, once: live
 * messages can arrive between the replayed ones, since the groups are joined before history is read (nothing can
 * fall between the two).
 */

/** The request type a reconnecting client sends (reserved: no route sees it while recovery is on). */
export const RECOVER_TYPE = '$recover';
/** The push that carries a socket's token. */
export const TOKEN_TYPE = '$recovery';

/** Positions a client may present: its groups, its uid and `all`, with some slack. */
const MAX_PRESENTED_EXTRA = 2;

/** One stream's answer in the `$recover` reply. */
export interface StreamRecovery {
  /** True when every message the client missed on this stream was replayed; false when some are gone. */
  readonly recovered: boolean;
  /** Where the client now is (its position after the replay, or the stream's current one when not recovered). */
  readonly epoch: string;
  /** The offset within `epoch` the client is now at (see `epoch`). */
  readonly offset: number;
}

export class Recovery {
  private readonly tokens: RecoveryTokens;

  constructor(
    private readonly options: ResolvedRecovery,
    private readonly history: GatewayHistory,
    private readonly node: LocalNode,
    private readonly events: GatewayEmitter,
    private readonly counters: Counters,
    private readonly maxGroups: number,
    /** Runs a `takeOver` on the node holding the token's socket (the adapter's `forward`; null when it is gone). */
    private readonly takeOverAt: (nodeId: string, socketId: string, tokenId: string) => Promise<unknown>,
  ) {
    this.tokens = new RecoveryTokens(options.secret);
    node.handover = (socket, tokenId) => this.handOver(socket, tokenId) as Record<string, unknown> | null;
  }

  /** A socket opened: give its client a token. */
  opened(socket: GatewaySocket): void {
    const { token, tokenId } = this.tokens.mint(socket.id);
    socket.recoveryTokenId = tokenId;
    write(socket, this.counters, JSON.stringify({ type: TOKEN_TYPE, data: { token, socketId: socket.id } }));
  }

  /** A socket closed (already out of the indexes; its uid, groups and session are still on it): keep its record. */
  closed(socket: GatewaySocket): void {
    const tokenId = socket.recoveryTokenId;
    if (tokenId === null || socket.recovery === 2) return;
    const record = recordOf(socket, Date.now());
    this.history.store
      .saveRecovery(tokenId, record, this.options.window)
      .catch((error: unknown) => this.events.emit('error', error, socket));
  }

  /** Answers a `$recover` request: resolves to the reply's data, or rejects with a `GatewayError`. */
  async recover(socket: GatewaySocket, data: unknown): Promise<unknown> {
    if (socket.recovery !== 0) throw refused('this socket already tried to recover');
    socket.recovery = 1;
    const request = (typeof data === 'object' && data !== null ? data : {}) as { token?: unknown; positions?: unknown };
    const presented = this.parsePositions(request.positions);
    const verified = this.tokens.verify(request.token);
    if (verified === null) throw refused('invalid recovery token');
    let record = await this.history.store.takeRecovery(verified.tokenId).catch(unavailable);
    if (record === null) record = await this.takeLive(verified.socketId, verified.tokenId);
    if (record === null || record.socketId !== verified.socketId) throw refused('unknown, expired or used token');
    // Upgrade-time auth says who this is: a token never moves an identity onto another authenticated uid.
    if (socket.boundUid !== null && socket.boundUid !== record.uid) throw refused('the token belongs to another uid');
    if (socket.readyState !== 1) throw refused('the socket closed');

    await this.restore(socket, record);
    this.events.emit('recover', socket, record.socketId);
    const streams: Record<StreamName, StreamRecovery> = {};
    for (const stream of entitled(record)) {
      const since = presented.get(stream) ?? record.positions?.[stream];
      streams[stream] = await this.replay(socket, stream, since);
    }
    return { socketId: socket.id, previousId: record.socketId, streams };
  }

  /**
   * No record: the token's socket may still be open (the client saw the connection die before the server did), here
   * or on the node its id names. That node ends it without saving its record and hands its state over.
   */
  private async takeLive(socketId: string, tokenId: string): Promise<RecoveryRecord | null> {
    const old = this.node.get(socketId);
    if (old !== undefined) return this.handOver(old, tokenId);
    const nodeId = nodeOfSocketId(socketId);
    if (nodeId === null || nodeId === this.node.nodeId) return null;
    const record = await this.takeOverAt(nodeId, socketId, tokenId).catch(unavailable);
    return isRecord(record) ? record : null;
  }

  /** Ends `old` (no close frame, no saved record) and returns its state, if `tokenId` is its token. */
  private handOver(old: GatewaySocket, tokenId: string): RecoveryRecord | null {
    if (old.recoveryTokenId !== tokenId || old.recovery === 2) return null;
    old.recovery = 2;
    const record = recordOf(old, Date.now());
    old.transport?.terminate();
    return record;
  }

  private async restore(socket: GatewaySocket, record: RecoveryRecord): Promise<void> {
    const id = socket.id;
    if (record.uid !== null) await this.node.execute({ op: 'bindUid', socketId: id, uid: record.uid });
    for (const group of record.groups.slice(0, this.maxGroups)) {
      await this.node.execute({ op: 'joinGroup', socketId: id, group });
    }
    await this.node.execute({ op: 'setSession', socketId: id, session: record.session });
  }

  /** Replays what the client missed in one stream, if all of it is still there; says where the client now is. */
  private async replay(
    socket: GatewaySocket,
    stream: StreamName,
    since: StreamPosition | undefined,
  ): Promise<StreamRecovery> {
    const limits = this.history.limits;
    if (limits === null) return { recovered: false, epoch: '', offset: 0 };
    const page = await this.history.store
      .read(stream, { limit: limits.size, ...(since === undefined ? {} : { since }) })
      .catch(unavailable);
    const missed = since === undefined ? -1 : page.top - since.offset;
    const complete = since !== undefined && page.complete && page.entries.length === missed;
    let offset = page.top;
    if (complete) {
      for (const entry of page.entries) {
        write(
          socket,
          this.counters,
          publicationFrame(stream, { epoch: page.epoch, offset: entry.offset }, entry.payload).data as string,
        );
      }
      offset = page.entries.length === 0 ? since.offset : page.entries[page.entries.length - 1]!.offset;
    }
    (socket.streamStarts ??= new Map()).set(stream, { epoch: page.epoch, offset });
    return { recovered: complete, epoch: page.epoch, offset };
  }

  /** Positions the client presented: a bounded object of `{epoch, offset}`; anything else is refused. */
  private parsePositions(value: unknown): Map<StreamName, StreamPosition> {
    const positions = new Map<StreamName, StreamPosition>();
    if (value === undefined) return positions;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new GatewayError(ErrorCode.InvalidArgument, 'positions must be an object');
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > this.maxGroups + MAX_PRESENTED_EXTRA)
      throw new GatewayError(ErrorCode.InvalidArgument, 'too many positions');
    for (const [stream, position] of entries) {
      if (!isPosition(position)) throw new GatewayError(ErrorCode.InvalidArgument, 'bad position');
      positions.set(stream, { epoch: position.epoch, offset: position.offset });
    }
    return positions;
  }
}

/** The streams a recovered identity may read: its groups, its uid, and `all`. */
function entitled(record: RecoveryRecord): StreamName[] {
  const streams = record.groups.map(streamOfGroup);
  if (record.uid !== null) streams.push(streamOfUid(record.uid));
  streams.push(ALL_STREAM);
  return streams;
}

function recordOf(socket: GatewaySocket, now: number): RecoveryRecord {
  const positions: Record<StreamName, StreamPosition> = {};
  for (const [stream, position] of socket.streamStarts ?? []) positions[stream] = position;
  return {
    socketId: socket.id,
    uid: socket.boundUid,
    groups: [...socket.groups],
    session: { ...socket.sessionData } as Session,
    closedAt: now,
    positions,
  };
}

/** A record that came from another node: the fields recovery reads, with their types. */
function isRecord(value: unknown): value is RecoveryRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<Record<keyof RecoveryRecord, unknown>>;
  return (
    typeof r.socketId === 'string' &&
    (r.uid === null || typeof r.uid === 'string') &&
    Array.isArray(r.groups) &&
    r.groups.every((g) => typeof g === 'string') &&
    typeof r.session === 'object' &&
    r.session !== null
  );
}

function refused(message: string): GatewayError {
  return new GatewayError(ErrorCode.RecoveryRefused, message);
}

function write(socket: GatewaySocket, counters: Counters, text: string): void {
  const transport = socket.transport;
  if (transport !== null) countSend(counters, transport.send(text));
}
