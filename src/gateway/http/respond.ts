import type { ServerResponse } from 'node:http';

/**
 * An HTTP failure a handler can throw: it becomes `status` with the JSON body `{"error":{"code","message"}}` — the
 * same error shape as the WebSocket envelope's error replies.
 */
export class HttpError extends Error {
  /** `'HttpError'` */
  override readonly name = 'HttpError';
  /**
   * @param status - The HTTP status (4xx or 5xx).
   * @param code - The body's `error.code`, machine-readable (`'bad_request'`...).
   * @param message - The body's `error.message`, for people.
   * @param headers - Extra response headers (`Allow`, `WWW-Authenticate`...).
   */
  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** The body's `error.code`. */
    readonly code: string,
    message: string,
    /** Extra response headers; none by default. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Writes `body` as JSON. Does nothing when the response is already on its way (a handler wrote it). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.writableEnded) return;
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
}

export function sendText(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
