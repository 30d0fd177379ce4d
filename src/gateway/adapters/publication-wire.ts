import type { Audience } from './commands.js';
import type { SocketId } from '../core/types.js';
import { parseAudience, type JsonMessage } from './wire.js';

/*
 * A history publication between nodes (Redis pub/sub, node:cluster IPC): like wire.ts's `b` fan-out, but its
 * payload is the publication frame that the step assigning the position built (the Redis script splices the epoch
 * and offset into it; the cluster primary frames it), and the sending node receives its own copy too and delivers
 * locally only then — so that every node, the sender included, writes one stream's messages in the one order in
 * which the position was assigned. Each receiving node acknowledges with its count, as for `b`.
 *
 *   header  {"k":"p","o":<sender>,"m":<request id>,"a":<audience>,"x":[<excluded socket ids>]}
 *   Redis   header, a newline, the frame's UTF-8 bytes        IPC   { h: header, s: frame }
 *
 * wire.ts's decoders don't know kind `p` (they answer null), so an older node ignores these.
 */

export interface PublicationMessage {
  readonly o: string;
  readonly m: number;
  readonly a: Audience;
  readonly x: readonly SocketId[];
  /** The publication frame (text). */
  readonly frame: string;
}

/** The header's JSON, `k` first (`isPublicationBytes` relies on it). */
export function publicationHeader(o: string, m: number, a: Audience, x: readonly SocketId[]): string {
  return JSON.stringify({ k: 'p', o, m, a, x });
}

const MARK = Buffer.from('{"k":"p",');

export function isPublicationBytes(bytes: Buffer): boolean {
  return bytes.length > MARK.length && bytes.subarray(0, MARK.length).equals(MARK);
}

function fromHeader(h: unknown, frame: string): PublicationMessage | null {
  if (typeof h !== 'object' || h === null) return null;
  const { k, o, m, a, x } = h as Record<string, unknown>;
  if (k !== 'p' || typeof o !== 'string' || typeof m !== 'number') return null;
  const audience = parseAudience(a);
  if (audience === null || !Array.isArray(x) || !x.every((s): s is string => typeof s === 'string')) return null;
  return { o, m, a: audience, x, frame };
}

/** Decodes a Redis message; null for anything that isn't a publication (never throws). */
export function decodePublicationBytes(bytes: Buffer): PublicationMessage | null {
  if (!isPublicationBytes(bytes)) return null;
  const end = bytes.indexOf(0x0a);
  if (end <= 0) return null;
  try {
    return fromHeader(JSON.parse(bytes.toString('utf8', 0, end)), bytes.toString('utf8', end + 1));
  } catch {
    return null;
  }
}

export function encodePublicationJson(o: string, m: number, a: Audience, x: readonly SocketId[], frame: string) {
  return { h: { k: 'p', o, m, a, x }, s: frame } satisfies JsonMessage;
}

/** Decodes an IPC message; null for anything that isn't a publication. */
export function decodePublicationJson(msg: JsonMessage): PublicationMessage | null {
  return typeof msg.s === 'string' ? fromHeader(msg.h, msg.s) : null;
}
