import { GatewayCloseCode, GatewayCloseReason } from './close-codes.js';
import { encodeError, encodeReply, parseEnvelope, type RequestEnvelope } from './envelope.js';
import { ErrorCode, GatewayError } from './errors.js';
import type { GatewayEmitter } from './events.js';
import type {
  BinaryHandler,
  GatewayApi,
  MessageMiddleware,
  ResolvedGatewayOptions,
  RouteContext,
  RouteHandler,
} from './gateway-api.js';
import { endWith, type GatewaySocket } from './gateway-socket.js';
import { markAlive } from './heartbeat.js';
import { countMessage, RateVerdict } from './rate-limit.js';
import { countError, countSend, type Counters } from './stats.js';
import { systemClock, type Clock } from './clock.js';
import type { RequestId } from './types.js';
import { isThenable, runMiddleware } from './middleware.js';
import type { ServerRequests } from './server-requests.js';
import { RECOVER_TYPE } from './recovery.js';

/** The route that catches types no other route handles. */
export const FALLBACK_ROUTE = '*';

const INTERNAL_ERROR_MESSAGE = 'internal error';

/**
 * Inbound messages of a gateway: liveness mark, rate limit, raw/binary/JSON split, envelope validation, routing,
 * replies and error replies. Nothing a client sends can make it throw.
 */
export class Dispatcher {
  readonly routes = new Map<string, RouteHandler>();
  binaryHandler: BinaryHandler | null = null;
  /** `gateway.use(fn)`: run before every route, in order. */
  readonly middleware: MessageMiddleware[] = [];
  /** Where clients' answers to `socket.request` go (messages with `replyTo`); null: they are ignored. */
  answers: ServerRequests | null = null;
  /** Recovery on: the handler of `$recover` requests, answered before (and instead of) any route. */
  recoverHandler: RouteHandler | null = null;

  constructor(
    private readonly gateway: GatewayApi,
    private readonly options: ResolvedGatewayOptions,
    private readonly events: GatewayEmitter,
    private readonly counters: Counters,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The server's `message` handler, for one socket's message. */
  receive(socket: GatewaySocket, data: Buffer, isBinary: boolean): void {
    this.counters.messagesIn++;
    markAlive(socket);
    const limit = this.options.rateLimit;
    if (limit !== null) {
      const verdict = countMessage(socket, limit.messages, limit.interval, this.clock.now());
      if (verdict !== RateVerdict.Ok) return this.rateLimited(socket, verdict);
    }
    if (this.options.raw) {
      this.events.emit('message', socket, { raw: true, data, binary: isBinary });
      return;
    }
    if (isBinary) return this.binary(socket, data);
    const parsed = parseEnvelope(data.toString());
    if (!parsed.ok) return this.sendError(socket, parsed.id, parsed.code, parsed.message);
    if (parsed.answer !== undefined) {
      this.answers?.answer(socket, parsed.answer.replyTo, parsed.answer);
      return;
    }
    const envelope = parsed.envelope;
    if (this.events.has('message')) this.events.emit('message', socket, { ...envelope, raw: false });
    this.route(socket, envelope);
  }

  private rateLimited(socket: GatewaySocket, verdict: RateVerdict): void {
    this.counters.rateLimited++;
    const limit = this.options.rateLimit!;
    if (limit.action === 'close') {
      endWith(socket, GatewayCloseCode.RateLimited);
      return;
    }
    // One error per window: answering every dropped message would let a flood make us write as much as it sends.
    if (verdict === RateVerdict.FirstOver && !this.options.raw) {
      this.sendError(
        socket,
        undefined,
        ErrorCode.RateLimited,
        `more than ${limit.messages} messages in ${limit.interval} ms: message dropped`,
      );
    }
  }

  private binary(socket: GatewaySocket, data: Buffer): void {
    const handler = this.binaryHandler;
    if (handler === null) {
      socket.transport?.close(GatewayCloseCode.UnsupportedData, GatewayCloseReason.UnsupportedData);
      return;
    }
    try {
      const result = handler(socket, data);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.events.emit('error', error, socket));
    } catch (error) {
      this.events.emit('error', error, socket);
    }
  }

  private route(socket: GatewaySocket, envelope: RequestEnvelope): void {
    const ctx: RouteContext = {
      gateway: this.gateway,
      socket,
      type: envelope.type,
      id: envelope.id,
      data: envelope.data,
    };
    if (this.middleware.length === 0) return this.handle(socket, envelope, ctx);
    runMiddleware(
      this.middleware,
      ctx,
      () => this.handle(socket, envelope, ctx),
      (error) => this.fail(socket, envelope, error),
    );
  }

  private handle(socket: GatewaySocket, envelope: RequestEnvelope, ctx: RouteContext): void {
    const handler =
      (envelope.type === RECOVER_TYPE ? this.recoverHandler : null) ??
      this.routes.get(envelope.type) ??
      this.routes.get(FALLBACK_ROUTE);
    if (handler === undefined) {
      return this.sendError(
        socket,
        envelope.id,
        ErrorCode.UnknownType,
        `unknown type ${JSON.stringify(envelope.type)}`,
      );
    }
    let result: unknown;
    try {
      result = handler(ctx);
    } catch (error) {
      return this.fail(socket, envelope, error);
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.reply(socket, envelope, value),
        (error: unknown) => this.fail(socket, envelope, error),
      );
    } else {
      this.reply(socket, envelope, result);
    }
  }

  private reply(socket: GatewaySocket, envelope: RequestEnvelope, value: unknown): void {
    if (envelope.id === undefined) return;
    let text: string;
    try {
      text = encodeReply(envelope.type, envelope.id, value);
    } catch (error) {
      return this.fail(socket, envelope, error);
    }
    this.write(socket, text);
  }

  private fail(socket: GatewaySocket, envelope: RequestEnvelope, error: unknown): void {
    if (error instanceof GatewayError) return this.sendError(socket, envelope.id, error.code, error.message);
    this.events.emit('error', error, socket);
    this.sendError(socket, envelope.id, ErrorCode.HandlerError, INTERNAL_ERROR_MESSAGE);
  }

  private sendError(socket: GatewaySocket, id: RequestId | undefined, code: string, message: string): void {
    this.counters.errorsOut++;
    countError(this.counters.errorsByCode, code);
    this.write(socket, encodeError(id, code, message));
  }

  private write(socket: GatewaySocket, text: string): void {
    const transport = socket.transport;
    if (transport !== null) countSend(this.counters, transport.send(text));
  }
}
