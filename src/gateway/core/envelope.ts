import { ErrorCode } from './errors.js';
import type { RequestId } from './types.js';

/*
 * The JSON wire protocol (text frames), DESIGN.md Layer 3:
 *   client → gateway   {"type": string, "data"?: any, "id"?: string | number}
 *   reply              {"type": <request type>, "id": <request id>, "data"?: <handler result>}   (only when "id" was given)
 *   error              {"type": "error", "id"?: <request id>, "error": {"code": string, "message": string}}
 * and the answers to the gateway's own requests (server-requests.ts), never routed:
 *   client → gateway   {"type": string, "replyTo": n, "data"?: any} | {"type": "error", "replyTo": n, "error": {...}}
 */

/** A request envelope from a client, validated. */
export interface RequestEnvelope {
  /** The request type: the route that handles it. */
  readonly type: string;
  /** The payload, unvalidated (`undefined` when absent). */
  readonly data: unknown;
  /** Present when the client wants a reply, which echoes it. */
  readonly id: RequestId | undefined;
}

/** Longest accepted `type`. */
export const MAX_TYPE_LENGTH = 128;

/** A client's answer to a server → client request (a message with `replyTo`). */
export interface AnswerEnvelope {
  readonly replyTo: number;
  readonly type: string;
  readonly data: unknown;
  readonly error: unknown;
}

export type ParseResult =
  | { readonly ok: true; readonly envelope: RequestEnvelope; readonly answer?: AnswerEnvelope }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly id: RequestId | undefined };

/** Parses and validates one text message. Never throws. */
export function parseEnvelope(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: ErrorCode.BadJson, message: 'message is not valid JSON', id: undefined };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.BadEnvelope, message: 'message must be a JSON object', id: undefined };
  }
  const fields = value as { type?: unknown; data?: unknown; id?: unknown; replyTo?: unknown; error?: unknown };
  const id = fields.id;
  const validId = isRequestId(id) ? id : undefined;
  if (id !== undefined && validId === undefined) {
    return {
      ok: false,
      code: ErrorCode.BadEnvelope,
      message: '"id" must be a string or a finite number',
      id: undefined,
    };
  }
  const type = fields.type;
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH) {
    return {
      ok: false,
      code: ErrorCode.BadEnvelope,
      message: `"type" must be a non-empty string of at most ${MAX_TYPE_LENGTH} characters`,
      id: validId,
    };
  }
  const envelope = { type, data: fields.data, id: validId };
  const replyTo = fields.replyTo;
  if (replyTo === undefined) return { ok: true, envelope };
  if (!Number.isSafeInteger(replyTo) || (replyTo as number) <= 0) {
    return { ok: false, code: ErrorCode.BadEnvelope, message: '"replyTo" must be a positive integer', id: validId };
  }
  return { ok: true, envelope, answer: { replyTo: replyTo as number, type, data: fields.data, error: fields.error } };
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** `{"type","id","data"}`; `data` is left out when the handler returned undefined. Throws if `data` can't be JSON. */
export function encodeReply(type: string, id: RequestId, data: unknown): string {
  return JSON.stringify(data === undefined ? { type, id } : { type, id, data });
}

/** `{"type":"error","id"?,"error":{"code","message"}}`. */
export function encodeError(id: RequestId | undefined, code: string, message: string): string {
  return JSON.stringify(
    id === undefined ? { type: 'error', error: { code, message } } : { type: 'error', id, error: { code, message } },
  );
}
