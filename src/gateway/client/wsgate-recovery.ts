// Delivery across reconnects for the wsgate browser client (imported by wsgate-client.ts; compiled next to it into
// src/gateway/public and served at /wsgate-recovery.js). Pure bookkeeping, no socket: which position the client has
// in each stream, which publications to hand to the app (in offset order, each once), and what to present when it
// reconnects. The protocol is in docs/gateway.md, "History and recovery".
//
//   server → {"type":"$recovery","data":{"token","socketId"}}                         a token for this connection
//   server → {"type":"publication","stream","epoch","offset","data","binary"?}        a message of a stream
//   client → {"type":"$recover","id","data":{"token","positions":{stream:{epoch,offset}}}}   after reconnecting
//   server → publications it missed, then {"type":"$recover","id","data":{"socketId","previousId","streams"}}

export interface StreamPosition {
  epoch: string;
  offset: number;
}

/** A message of a stream, as the server framed it. */
export interface Publication {
  stream: string;
  epoch: string;
  offset: number;
  /** The frame the server would have sent without history: text, or bytes for a binary message. */
  data: string | Uint8Array;
}

/** One stream in the server's answer to `$recover`. */
export interface StreamRecoveryResult {
  /** True when every missed message of the stream was replayed; false when some are gone (refetch). */
  recovered: boolean;
  /** The stream's epoch the client is now in. */
  epoch: string;
  /** The offset within `epoch` the client is now at (the last message it has). */
  offset: number;
}

/** The `recovered` event: every stream came back complete. */
export interface RecoveredEvent {
  /** The new socket's id. */
  socketId: string;
  /** The id of the socket whose identity (uid, groups, session) it took over. */
  previousId: string;
  /** Per stream name (`group:<name>`, `uid:<uid>`, `all`), how its recovery went. */
  streams: Record<string, StreamRecoveryResult>;
}

/**
 * The `recovery-failed` event: the identity could not be restored (`reason` is the server's error code, or
 * "timeout" / "disconnected"), or it was but some streams lost messages (`streams` lists them as `recovered:false`):
 * refetch that state from your backend.
 */
export interface RecoveryFailedEvent {
  /** Why: the server's error code, `"timeout"`, `"disconnected"`, or `"incomplete"` (identity back, streams lost). */
  reason: string;
  /** The new socket's id, when the server answered. */
  socketId?: string;
  /** The previous socket's id, when the identity was restored. */
  previousId?: string;
  /** Per stream name, how its recovery went (empty when the identity could not be restored). */
  streams: Record<string, StreamRecoveryResult>;
}

export const RECOVER_TYPE = '$recover';
export const TOKEN_TYPE = '$recovery';
export const PUBLICATION_TYPE = 'publication';

/** Most publications buffered while a recovery is in flight (a server replays at most its history size). */
const MAX_BUFFERED = 100000;

/** A publication frame's fields, checked; null for anything else. */
export function parsePublication(message: Record<string, unknown>): Publication | null {
  const { stream, epoch, offset, data, binary } = message;
  if (typeof stream !== 'string' || typeof epoch !== 'string' || typeof data !== 'string') return null;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 1) return null;
  return { stream, epoch, offset, data: binary === true ? fromBase64(data) : data };
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export class StreamTracker {
  /** The last position delivered to the app, per stream. */
  readonly positions = new Map<string, StreamPosition>();
  /** The token of the current connection (null before the server sent one). */
  token: string | null = null;
  private recovering = false;
  private buffered: Publication[] = [];

  /** True while a `$recover` is in flight: publications wait for its answer. */
  get isRecovering(): boolean {
    return this.recovering;
  }

  /** What to present after reconnecting, or null when there is no token (recovery off on the server). */
  beginRecovery(): { token: string; positions: Record<string, StreamPosition> } | null {
    const token = this.token;
    this.recovering = false;
    if (token === null) return null;
    this.token = null; // single-use: the next connection gets its own
    this.recovering = true;
    this.buffered = [];
    const positions: Record<string, StreamPosition> = {};
    for (const [stream, position] of this.positions) positions[stream] = { ...position };
    return { token, positions };
  }

  /** A publication arrived: those to hand to the app now, in order (none while recovering, none twice). */
  accept(publication: Publication): Publication[] {
    if (this.recovering) {
      if (this.buffered.length < MAX_BUFFERED) this.buffered.push(publication);
      return [];
    }
    return this.advance(publication) ? [publication] : [];
  }

  /**
   * The answer to `$recover` (null: refused, timed out or disconnected): streams the server could not recover
   * jump to its current position; then the buffered publications go out per stream in offset order, each once.
   */
  finishRecovery(streams: Record<string, StreamRecoveryResult> | null): Publication[] {
    this.recovering = false;
    if (streams !== null) {
      for (const [stream, result] of Object.entries(streams)) {
        if (!result.recovered) this.positions.set(stream, { epoch: result.epoch, offset: result.offset });
      }
    }
    const buffered = this.buffered;
    this.buffered = [];
    // A stable sort by offset within a stream keeps the streams' relative order as they arrived.
    const order = new Map<string, number>();
    buffered.forEach((p) => order.has(p.stream) || order.set(p.stream, order.size));
    buffered.sort((a, b) => order.get(a.stream)! - order.get(b.stream)! || a.offset - b.offset);
    return buffered.filter((p) => this.advance(p));
  }

  /** Records `publication` as delivered unless the app already has it (same epoch, offset not after ours). */
  private advance(publication: Publication): boolean {
    const known = this.positions.get(publication.stream);
    if (known !== undefined && known.epoch === publication.epoch && publication.offset <= known.offset) return false;
    this.positions.set(publication.stream, { epoch: publication.epoch, offset: publication.offset });
    return true;
  }
}
