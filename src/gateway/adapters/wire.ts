import type { Audience, SocketCommand } from './adapter.js';
import type { GroupName, Payload, SocketId } from '../core/types.js';

/*
 * What nodes say to each other, whatever carries it (Redis pub/sub, node:cluster IPC through the primary). Every
 * message names its sender `o`; a request carries an id `m`, unique per sender, and is answered with a reply
 * message to the sender's node listing `[m, value]` pairs (the replies of one tick to one node travel together).
 *
 *   x  run a socket command on the receiving node               → the command's result
 *   b  fan-out: write to this node's sockets in an audience     → sockets written to
 *   u  ungroup: remove this node's sockets from a group         → sockets removed
 *   s  sessions: this node's session snapshots (all, or a group) → { socketId: session }
 *   t  stats: this node's report (/status, /metrics, the dashboard) → { nodeId: report }
 *   r  replies: [m, value] pairs for node `o`'s requests
 *
 * Payloads are never in the JSON: a message is `{ header, payload }`. Redis carries it as the header's JSON, a
 * newline, then the payload bytes (JSON.stringify escapes newlines, so the first 0x0A ends the header); IPC as JSON
 * with the payload as a string or base64. Both decode through `parseHeader`, the one place a message is validated.
 */

/** A request from one node to another (or to all); see the table above for what each kind resolves to. */
export type NodeRequest =
  | {
      /** Kind: `x` command, `b` broadcast, `u` ungroup, `s` sessions, `r` replies. */
      readonly k: 'x';
      /** The sending node's id. */
      readonly o: string;
      /** Request id, unique per sender; the reply pairs it with the value. */
      readonly m: number;
      /** The socket command to run. */
      readonly c: SocketCommand;
    }
  | {
      /** Kind: `x` command, `b` broadcast, `u` ungroup, `s` sessions, `r` replies. */
      readonly k: 'b';
      /** The sending node's id. */
      readonly o: string;
      /** Request id, unique per sender; the reply pairs it with the value. */
      readonly m: number;
      /** The audience. */
      readonly a: Audience;
      /** Socket ids excluded from the broadcast. */
      readonly x: readonly SocketId[];
      /** The message to deliver. */
      readonly p: Payload;
      /** The same message was also published on other channels (several groups): deliver it once. */
      readonly d?: 1;
    }
  | {
      /** Kind: `x` command, `b` broadcast, `u` ungroup, `s` sessions, `r` replies. */
      readonly k: 'u';
      /** The sending node's id. */
      readonly o: string;
      /** Request id, unique per sender; the reply pairs it with the value. */
      readonly m: number;
      /** The group (`s`: absent for every socket). */
      readonly g: GroupName;
    }
  | {
      /** Kind: `x` command, `b` broadcast, `u` ungroup, `s` sessions, `r` replies. */
      readonly k: 's';
      /** The sending node's id. */
      readonly o: string;
      /** Request id, unique per sender; the reply pairs it with the value. */
      readonly m: number;
      /** The group (`s`: absent for every socket). */
      readonly g?: GroupName;
    }
  | {
      /** Kind: `t` stats (this node's report). */
      readonly k: 't';
      /** The sending node's id. */
      readonly o: string;
      /** Request id, unique per sender; the reply pairs it with the value. */
      readonly m: number;
    };

/** The replies of one tick from one node to the node that asked. */
export interface NodeReplies {
  /** Kind: `x` command, `b` broadcast, `u` ungroup, `s` sessions, `r` replies. */
  readonly k: 'r';
  /** The sending node's id. */
  readonly o: string;
  /** `[m, value]`: the value each request of node `o` resolved to. */
  readonly a: readonly (readonly [id: number, value: unknown])[];
}

/** Anything one node says to another. */
export type NodeMessage = NodeRequest | NodeReplies;

/** The JSON part of a message: the payload replaced by its `bin` flag. */
type Header = Record<string, unknown>;

/** Splits a message into its JSON header and its payload (if any). */
export function splitMessage(message: NodeMessage): { header: Header; payload: Payload | null } {
  if (message.k === 'b') {
    const { p, ...rest } = message;
    return { header: { ...rest, bin: p.binary }, payload: p };
  }
  if (message.k === 'x' && message.c.op === 'send') {
    const { payload, ...command } = message.c;
    return { header: { ...message, c: { ...command, bin: payload.binary } }, payload };
  }
  return { header: message as unknown as Header, payload: null };
}

// ── validation at the boundary ──────────────────────────────────────────────────────────────────────────────────

const isString = (v: unknown): v is string => typeof v === 'string';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseAudience(v: unknown): Audience | null {
  if (!isRecord(v)) return null;
  if (v.kind === 'all') return { kind: 'all', onlyBound: v.onlyBound === true };
  if (v.kind === 'uids' && isStrings(v.uids)) return { kind: 'uids', uids: v.uids };
  if (v.kind === 'groups' && isStrings(v.groups)) return { kind: 'groups', groups: v.groups };
  return null;
}

function parseCommand(v: unknown, data: Uint8Array | string): SocketCommand | null {
  if (!isRecord(v) || !isString(v.op)) return null;
  if (v.op === 'send')
    return isStrings(v.socketIds)
      ? { op: 'send', socketIds: v.socketIds, payload: { data, binary: v.bin === true } }
      : null;
  const socketId = v.socketId;
  if (!isString(socketId)) return null;
  switch (v.op) {
    case 'isOnline':
    case 'uidOf':
    case 'groupsOf':
    case 'getSession':
      return { op: v.op, socketId };
    case 'bindUid':
      return isString(v.uid) ? { op: 'bindUid', socketId, uid: v.uid } : null;
    case 'unbindUid':
      return v.uid === undefined
        ? { op: 'unbindUid', socketId }
        : isString(v.uid)
          ? { op: 'unbindUid', socketId, uid: v.uid }
          : null;
    case 'joinGroup':
    case 'leaveGroup':
      return isString(v.group) ? { op: v.op, socketId, group: v.group } : null;
    case 'setSession':
      return isRecord(v.session) ? { op: 'setSession', socketId, session: v.session } : null;
    case 'updateSession':
      return isRecord(v.patch) ? { op: 'updateSession', socketId, patch: v.patch } : null;
    case 'takeOver':
      return isString(v.tokenId) ? { op: 'takeOver', socketId, tokenId: v.tokenId } : null;
    case 'close':
      return typeof v.code === 'number' && isString(v.reason)
        ? { op: 'close', socketId, code: v.code, reason: v.reason }
        : null;
    case 'request':
      return isString(v.type) && typeof v.timeout === 'number'
        ? { op: 'request', socketId, type: v.type, data: v.data, timeout: v.timeout }
        : null;
    default:
      return null;
  }
}

/** A decoded header (and the payload that came with it) as a message; null for anything that isn't one. */
export function parseHeader(h: unknown, data: Uint8Array | string): NodeMessage | null {
  if (!isRecord(h) || !isString(h.o)) return null;
  const o = h.o;
  if (h.k === 'r') {
    if (!Array.isArray(h.a)) return null;
    const a = h.a.filter(
      (pair): pair is [number, unknown] => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'number',
    );
    return { k: 'r', o, a };
  }
  const m = h.m;
  if (typeof m !== 'number') return null;
  switch (h.k) {
    case 'x': {
      const c = parseCommand(h.c, data);
      return c === null ? null : { k: 'x', o, m, c };
    }
    case 'b': {
      const a = parseAudience(h.a);
      if (a === null || !isStrings(h.x)) return null;
      return { k: 'b', o, m, a, x: h.x, p: { data, binary: h.bin === true }, ...(h.d === 1 ? { d: 1 as const } : {}) };
    }
    case 'u':
      return isString(h.g) ? { k: 'u', o, m, g: h.g } : null;
    case 's':
      return h.g === undefined ? { k: 's', o, m } : isString(h.g) ? { k: 's', o, m, g: h.g } : null;
    case 't':
      return { k: 't', o, m };
    default:
      return null;
  }
}

// ── bytes (Redis) ───────────────────────────────────────────────────────────────────────────────────────────────

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

/** Encodes a message for a byte transport (Redis): the header's JSON, a newline, the payload bytes. */
export function encodeBytes(message: NodeMessage): Buffer {
  const { header, payload } = splitMessage(message);
  const head = Buffer.from(`${JSON.stringify(header)}\n`);
  if (payload === null) return head;
  const data = typeof payload.data === 'string' ? Buffer.from(payload.data) : payload.data;
  return Buffer.concat([head, data]);
}

/** Decodes a message; null for anything that isn't one of ours (never throws). The payload is a view, not a copy. */
export function decodeBytes(bytes: Buffer): NodeMessage | null {
  const end = bytes.indexOf(NEWLINE);
  if (end <= 0) return null;
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, end));
  } catch {
    return null;
  }
  return parseHeader(header, end + 1 === bytes.length ? EMPTY : bytes.subarray(end + 1));
}

// ── JSON (node:cluster IPC, whose default serialization is JSON) ───────────────────────────────────────────────

/** A message as it crosses IPC: the header, and the payload as text (`s`) or base64 (`b64`). */
export interface JsonMessage {
  /** The header: the message without its payload. */
  readonly h: Header;
  /** A text payload. */
  readonly s?: string;
  /** A binary payload, base64. */
  readonly b64?: string;
}

export function isJsonMessage(value: unknown): value is JsonMessage {
  return isRecord(value) && isRecord(value.h);
}

/** Encodes a message for a JSON transport (node:cluster IPC). */
export function encodeJson(message: NodeMessage): JsonMessage {
  const { header, payload } = splitMessage(message);
  if (payload === null) return { h: header };
  const data = payload.data;
  if (typeof data === 'string') return { h: header, s: data };
  return { h: header, b64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

/** Decodes a message from a JSON transport; null for anything that isn't one of ours (never throws). */
export function decodeJson(value: unknown): NodeMessage | null {
  if (!isRecord(value)) return null;
  const data = isString(value.s) ? value.s : isString(value.b64) ? Buffer.from(value.b64, 'base64') : EMPTY;
  return parseHeader(value.h, data);
}
