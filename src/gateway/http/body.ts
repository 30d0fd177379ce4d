import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '../core/errors.js';
import { jsonDepthExceeds } from '../core/json-depth.js';
import { HttpError } from './respond.js';

/** Default cap on a request body: 1 MiB. */
export const DEFAULT_MAX_BODY_SIZE = 1024 * 1024;

/**
 * Reads a request body, never holding more than `limit` bytes: a larger `Content-Length` is refused before reading,
 * and a chunked body that grows past the limit stops being read. Either way: HttpError 413.
 */
export function readBody(req: IncomingMessage, limit = DEFAULT_MAX_BODY_SIZE): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): HttpError =>
      new HttpError(413, 'payload_too_large', `request body exceeds ${limit} bytes`, { Connection: 'close' });
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      req.removeListener('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop reading; the 413 goes out with `Connection: close`, so the rest is never buffered.
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new HttpError(400, 'bad_request', `could not read request body: ${err.message}`));
    };
    const onClose = (): void => {
      if (req.complete) return;
      cleanup();
      reject(new HttpError(400, 'bad_request', 'request aborted'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Default cap on the nesting of a JSON request body: 64 levels of arrays and objects. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * Reads and parses a JSON body. Invalid JSON or an empty body: HttpError 400 `bad_json`/`bad_request`; nested deeper
 * than `maxDepth`: HttpError 400 `json_too_deep` (checked before parsing, without recursion; see json-depth.ts).
 */
export async function readJson(
  req: IncomingMessage,
  limit = DEFAULT_MAX_BODY_SIZE,
  maxDepth = DEFAULT_MAX_JSON_DEPTH,
): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) throw new HttpError(400, 'bad_request', 'request body is empty: expected JSON');
  const text = body.toString('utf8');
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new HttpError(
      400,
      ErrorCode.JsonTooDeep,
      `request body nests arrays/objects more than ${maxDepth} levels deep`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'bad_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** A JSON object body, checked field by field; every failure is a 400 naming the field. */
export class JsonFields {
  private constructor(private readonly body: Readonly<Record<string, unknown>>) {}

  static from(value: unknown): JsonFields {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new HttpError(400, 'bad_request', 'request body must be a JSON object');
    }
    return new JsonFields(value as Record<string, unknown>);
  }

  has(name: string): boolean {
    return this.body[name] !== undefined;
  }

  /** Any JSON value, required. */
  value(name: string): unknown {
    const v = this.body[name];
    if (v === undefined) throw missing(name);
    return v;
  }

  string(name: string): string {
    const v = this.body[name];
    if (v === undefined) throw missing(name);
    if (typeof v !== 'string' || v === '') throw wrongType(name, 'a non-empty string');
    return v;
  }

  /** A string (empty allowed) or absent. */
  optionalString(name: string): string | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw wrongType(name, 'a string');
    return v;
  }

  optionalInteger(name: string): number | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(name, 'an integer');
    return v;
  }

  /** A uid or group: a non-empty string or a finite number. */
  name(name: string): string | number {
    const v = this.body[name];
    if (v === undefined) throw missing(name);
    if ((typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v))) return v;
    throw wrongType(name, 'a non-empty string or a number');
  }

  /** One name or a non-empty array of names (sendToUid, sendToGroup). */
  names(name: string): string | number | (string | number)[] {
    const v = this.body[name];
    if (!Array.isArray(v)) return this.name(name);
    if (
      v.length > 0 &&
      v.every(
        (item) => (typeof item === 'string' && item !== '') || (typeof item === 'number' && Number.isFinite(item)),
      )
    ) {
      return v as (string | number)[];
    }
    throw wrongType(name, 'a non-empty string, a number, or a non-empty array of them');
  }

  /** A JSON object. */
  object(name: string): Record<string, unknown> {
    const v = this.body[name];
    if (v === undefined) throw missing(name);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw wrongType(name, 'a JSON object');
    return v as Record<string, unknown>;
  }

  /** A non-empty string or a non-empty array of them (socket ids). */
  stringOrList(name: string): string | string[] {
    const v = this.body[name];
    if (!Array.isArray(v)) return this.string(name);
    if (v.length > 0 && v.every((item): item is string => typeof item === 'string' && item !== '')) return v;
    throw wrongType(name, 'a non-empty string or a non-empty array of them');
  }

  optionalBoolean(name: string): boolean | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw wrongType(name, 'true or false');
    return v;
  }

  /** A string or an array of strings, as an array. */
  optionalStringList(name: string): string[] | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((item): item is string => typeof item === 'string')) return v;
    throw wrongType(name, 'a string or an array of strings');
  }
}

function missing(name: string): HttpError {
  return new HttpError(400, 'bad_request', `missing field "${name}"`);
}

function wrongType(name: string, expected: string): HttpError {
  return new HttpError(400, 'bad_request', `field "${name}" must be ${expected}`);
}
