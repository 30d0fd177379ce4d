import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, errorBody } from '../core/errors.js';
import type { GatewayApi, HttpHook } from '../core/gateway-api.js';
import { sendJson } from './respond.js';

/**
 * The gateway's HTTP routes as a framework middleware (from `gateway.httpHandler()`): resolves true when a hook
 * answered `req`; otherwise it calls `next()` (when given) and resolves false, leaving `req` to the framework. A
 * hook that throws is answered with a 500 JSON here (and reported as the gateway's `error` event), never passed on.
 */
export type GatewayHttpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<boolean>;

/**
 * Plain HTTP requests on the gateway's port: tried against each hook in order (`options.http`, then
 * `gateway.addHttpHandler` ones); the first returning true answered. Otherwise: 426 on the WebSocket path, 404
 * elsewhere — both as `{"error":{"code","message"}}`. A hook that throws gets a 500 (when nothing was sent yet).
 */
export class HttpHost {
  readonly hooks: HttpHook[] = [];

  constructor(
    private readonly gateway: GatewayApi,
    private readonly wsPath: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The `request` listener of the HTTP server. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((error: unknown) => {
      // `handle` answers its own failures; this is the last line should answering itself throw.
      this.onError(error);
      res.destroy();
    });
  };

  /** `gateway.httpHandler()`: the hooks only; what nobody answered goes to the framework's `next`. */
  readonly middleware: GatewayHttpHandler = async (req, res, next) => {
    let answered: boolean;
    try {
      answered = await this.answer(req, res);
    } catch (error) {
      // `answer` answers its own failures; this is the last line should answering itself throw.
      this.onError(error);
      res.destroy();
      return true;
    }
    if (!answered) next?.();
    return answered;
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await this.answer(req, res)) return;
    if (pathOf(req.url) === this.wsPath) {
      sendJson(res, 426, errorBody(ErrorCode.UpgradeRequired, 'this is a WebSocket endpoint'), {
        Upgrade: 'websocket',
        Connection: 'Upgrade',
      });
    } else {
      sendJson(res, 404, errorBody(ErrorCode.NotFound, 'not found'));
    }
  }

  /** Tries each hook in order: true when one answered (or failed and got its 500). */
  private async answer(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    try {
      for (const hook of this.hooks) {
        if (await hook(req, res, this.gateway)) return true;
        if (res.headersSent || res.writableEnded) return true; // answered but said false: don't answer twice
      }
    } catch (error) {
      this.onError(error);
      if (!res.headersSent) sendJson(res, 500, errorBody(ErrorCode.InternalError, 'internal error'));
      else res.destroy();
      return true;
    }
    return false;
  }
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}
