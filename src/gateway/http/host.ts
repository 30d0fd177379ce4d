import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, errorBody } from '../core/errors.js';
import type { GatewayApi, HttpHook } from '../core/gateway-api.js';
import { sendJson } from './respond.js';

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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      for (const hook of this.hooks) {
        if (await hook(req, res, this.gateway)) return;
        if (res.headersSent || res.writableEnded) return; // answered but said false: don't answer twice
      }
    } catch (error) {
      this.onError(error);
      if (!res.headersSent) sendJson(res, 500, errorBody(ErrorCode.InternalError, 'internal error'));
      else res.destroy();
      return;
    }
    if (pathOf(req.url) === this.wsPath) {
      sendJson(res, 426, errorBody(ErrorCode.UpgradeRequired, 'this is a WebSocket endpoint'), {
        Upgrade: 'websocket',
        Connection: 'Upgrade',
      });
    } else {
      sendJson(res, 404, errorBody(ErrorCode.NotFound, 'not found'));
    }
  }
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}
