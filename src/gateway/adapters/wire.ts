import type { Audience, SocketCommand } from './adapter.js';
import type { GroupName, Payload, SocketId } from '../types.js';

/*
 * What the nodes publish to each other: a JSON header, a newline, then the message payload as raw bytes (a text
 * payload as its UTF-8 bytes: it is written to sockets as is, never decoded). JSON.stringify escapes newlines, so the
 * first 0x0A always ends the header. No base64, no second copy of the payload in the header.
 */

/** A fan-out send. `d`: the same message was also published on other channels (multi-group): de-duplicate by id. */
export interface BroadcastHeader {
  readonly k: 'b';
  /** Sender node. */
  readonly o: string;
  /** Message id, unique per sender. */
  readonly m: number;
  readonly a: Audience;
  readonly x?: readonly SocketId[];
  readonly bin: boolean;
  readonly d?: 1;
}

/** Empty a group on every node that has members (published on the group's channel). */
export interface UngroupHeader {
  readonly k: 'u';
  readonly o: string;
  readonly m: number;
  readonly g: GroupName;
}

/** A socket-addressed command for one node (a `send` carries its payload after the header). */
export interface RequestHeader {
  readonly k: 'q';
  readonly o: string;
  readonly m: number;
  readonly c: SocketCommand | SendCommandHeader;
}

/** A `send` command without its payload (the payload follows the header). */
export interface SendCommandHeader {
  readonly op: 'send';
  readonly socketIds: readonly SocketId[];
  readonly bin: boolean;
}

/** Session snapshots of one node's sockets (all, or the members of `g`). */
export interface SessionsHeader {
  readonly k: 's';
  readonly o: string;
  readonly m: number;
  readonly g?: GroupName;
}

/** The answer to a request, or a node's acknowledgement of a broadcast/ungroup (`v`: sockets written/removed). */
export interface ReplyHeader {
  readonly k: 'r';
  /** The answering node. */
  readonly o: string;
  readonly m: number;
  readonly v: unknown;
}

/** Several replies to one node, gathered in one tick (`a`: [id, value] pairs): one PUBLISH instead of many. */
export interface RepliesHeader {
  readonly k: 'R';
  readonly o: string;
  readonly m: 0;
  readonly a: readonly (readonly [id: number, value: unknown])[];
}

export type WireHeader = BroadcastHeader | UngroupHeader | RequestHeader | SessionsHeader | ReplyHeader | RepliesHeader;

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

export function encodeWire(header: WireHeader, payload?: Payload | null): Buffer {
  const head = Buffer.from(`${JSON.stringify(header)}\n`);
  if (payload == null) return head;
  const data = typeof payload.data === 'string' ? Buffer.from(payload.data) : payload.data;
  return Buffer.concat([head, data]);
}

export interface DecodedWire {
  readonly header: WireHeader;
  /** Bytes after the header (a view into the message). */
  readonly body: Buffer;
}

/** Decodes a message; null for anything that isn't one of ours (never throws). */
export function decodeWire(message: Buffer): DecodedWire | null {
  const end = message.indexOf(NEWLINE);
  if (end <= 0) return null;
  try {
    const header = JSON.parse(message.toString('utf8', 0, end)) as WireHeader;
    if (typeof header !== 'object' || header === null || typeof header.k !== 'string' || typeof header.m !== 'number') return null;
    return { header, body: end + 1 === message.length ? EMPTY : message.subarray(end + 1) };
  } catch {
    return null;
  }
}

/** The payload after a header: bytes, written as a text or binary frame as the sender asked. */
export function payloadOf(body: Buffer, binary: boolean): Payload {
  return { data: body, binary };
}
