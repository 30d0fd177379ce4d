/*
 * The Redis clients the adapter accepts, typed structurally so that wsgate depends on neither: node-redis v4+
 * (`createClient()` from `redis` or `@redis/client`) and ioredis. The client you pass is a *template*: the adapter
 * opens its own two connections with `duplicate()` — one for commands and publishing (offline queue off, so that a
 * send during an outage fails at once instead of waiting for the reconnection), one in subscriber mode — and closes
 * them when the gateway closes. Your client itself is not used for anything else.
 */

/** What the adapter sends as command arguments. */
export type RedisArgument = string | Buffer;

/** node-redis v4+ (`RedisClientType`), structurally. */
export interface NodeRedisClientLike {
  /** Sends one command. */
  sendCommand(args: RedisArgument[]): Promise<unknown>;
  /** Subscribes in buffer mode. */
  subscribe(
    channels: string,
    listener: (message: Buffer, channel: Buffer) => unknown,
    bufferMode: true,
  ): Promise<unknown>;
  /** Unsubscribes a buffer-mode listener. */
  unsubscribe(
    channels: string,
    listener: (message: Buffer, channel: Buffer) => unknown,
    bufferMode: true,
  ): Promise<unknown>;
  /** A new client with the same settings (the adapter's connections are duplicates of yours). */
  duplicate(overrides?: {
    /** Fail commands at once while disconnected. */
    disableOfflineQueue?: boolean;
  }): NodeRedisClientLike;
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Listens to `ready`, `end`, `error`... */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Connected and ready for commands. */
  readonly isReady: boolean;
  /** v5+ (`quit` in v4). */
  close?(): Promise<unknown>;
  /** v4 (`close` in v5+). */
  quit?(): Promise<unknown>;
  /** v5+ (`disconnect` in v4). */
  destroy?(): void;
  /** v4 (`destroy` in v5+). */
  disconnect?(): Promise<unknown>;
}

/** ioredis (`Redis`), structurally. */
export interface IoRedisClientLike {
  /** Sends one command. */
  call(command: string, ...args: RedisArgument[]): Promise<unknown>;
  /** Subscribes (messages arrive as `messageBuffer` events). */
  subscribe(...channels: string[]): Promise<unknown>;
  /** Unsubscribes. */
  unsubscribe(...channels: string[]): Promise<unknown>;
  /** A new client with the same settings (the adapter's connections are duplicates of yours). */
  duplicate(override?: {
    /** Don't connect until `connect()`. */
    lazyConnect?: boolean;
    /** Queue commands while disconnected. */
    enableOfflineQueue?: boolean;
    /** Resend in-flight commands after a reconnection. */
    autoResendUnfulfilledCommands?: boolean;
    /** Subscribe again after a reconnection. */
    autoResubscribe?: boolean;
  }): IoRedisClientLike;
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Listens to `ready`, `close`, `error`, `messageBuffer`... */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** `'ready'` when connected and ready for commands. */
  readonly status: string;
  /** Graceful close (QUIT). */
  quit(): Promise<unknown>;
  /** Drops the connection. */
  disconnect(): void;
}

/** A node-redis v4+ or ioredis client. */
export type RedisClientLike = NodeRedisClientLike | IoRedisClientLike;

/** What a connection tells its owner. */
export interface LinkEvents {
  /** Connected and ready for commands (again). */
  up(): void;
  /** The connection was lost (the client reconnects by itself). */
  down(): void;
  /** An error the client reported (connection errors included). */
  error(error: unknown): void;
  /** A pub/sub message (subscriber connections only). */
  message(channel: string, message: Buffer): void;
}

/** One connection to Redis, whichever the client library. */
export interface RedisLink {
  readonly ready: boolean;
  /** Resolves once the first connection is ready (rejects if `connect()` fails). */
  connect(): Promise<void>;
  command(args: RedisArgument[]): Promise<unknown>;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Graceful close (QUIT), falling back to dropping the connection. Never rejects. */
  close(): Promise<void>;
}

export type LinkRole = 'command' | 'subscriber';

/** Opens one of the adapter's connections from the user's client. Throws `TypeError` for anything else. */
export function openLink(template: RedisClientLike, role: LinkRole, events: LinkEvents): RedisLink {
  if (isIoRedis(template)) return new IoRedisLink(template, role, events);
  if (isNodeRedis(template)) return new NodeRedisLink(template, role, events);
  throw new TypeError('client must be a node-redis v4+ client (createClient() from "redis") or an ioredis client');
}

/** Which library a client comes from. */
export function redisClientKind(client: unknown): 'node-redis' | 'ioredis' | null {
  if (isIoRedis(client)) return 'ioredis';
  if (isNodeRedis(client)) return 'node-redis';
  return null;
}

function isIoRedis(client: unknown): client is IoRedisClientLike {
  // ioredis also has a `sendCommand`, but only it has `call`.
  const c = client as Partial<IoRedisClientLike> | null;
  return typeof c === 'object' && c !== null && typeof c.call === 'function' && typeof c.duplicate === 'function';
}

function isNodeRedis(client: unknown): client is NodeRedisClientLike {
  const c = client as Partial<NodeRedisClientLike> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.sendCommand === 'function' &&
    typeof c.duplicate === 'function' &&
    typeof c.subscribe === 'function'
  );
}

class NodeRedisLink implements RedisLink {
  private readonly client: NodeRedisClientLike;
  private readonly listener: (message: Buffer, channel: Buffer) => void;

  constructor(template: NodeRedisClientLike, role: LinkRole, events: LinkEvents) {
    // Without an offline queue, a command while disconnected fails at once: sends are reported, not delayed.
    this.client = template.duplicate(role === 'command' ? { disableOfflineQueue: true } : {});
    this.listener = (message, channel) => events.message(channel.toString(), message);
    const client = this.client;
    client.on('ready', () => events.up());
    client.on('reconnecting', () => events.down());
    client.on('end', () => events.down());
    client.on('error', (error: unknown) => {
      events.error(error);
      if (!client.isReady) events.down();
    });
  }

  get ready(): boolean {
    return this.client.isReady;
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  command(args: RedisArgument[]): Promise<unknown> {
    return this.client.sendCommand(args);
  }

  async subscribe(channel: string): Promise<void> {
    await this.client.subscribe(channel, this.listener, true);
  }

  async unsubscribe(channel: string): Promise<void> {
    await this.client.unsubscribe(channel, this.listener, true);
  }

  async close(): Promise<void> {
    const c = this.client;
    try {
      if (c.isReady) {
        if (typeof c.close === 'function') await c.close();
        else await c.quit?.();
        return;
      }
    } catch {
      // fall through to a hard disconnect
    }
    try {
      if (typeof c.destroy === 'function') c.destroy();
      else await c.disconnect?.();
    } catch {
      // already closed
    }
  }
}

class IoRedisLink implements RedisLink {
  private readonly client: IoRedisClientLike;

  constructor(template: IoRedisClientLike, role: LinkRole, events: LinkEvents) {
    this.client = template.duplicate(
      role === 'command'
        ? // No offline queue and no resend after a reconnection: a send either reaches Redis now or is reported.
          // No auto-pipelining either: combined with the above, a reconnection could leave a batch unsettled
          // (seen in the Redis-restart test), and node-redis-like batching isn't worth that.
          { lazyConnect: true, enableOfflineQueue: false, autoResendUnfulfilledCommands: false }
        : { lazyConnect: true, autoResubscribe: true },
    );
    const client = this.client;
    client.on('ready', () => events.up());
    client.on('close', () => events.down());
    client.on('reconnecting', () => events.down());
    client.on('end', () => events.down());
    client.on('error', (error: unknown) => events.error(error));
    if (role === 'subscriber')
      client.on('messageBuffer', (channel, message) => events.message(String(channel), message as Buffer));
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  command(args: RedisArgument[]): Promise<unknown> {
    const [name, ...rest] = args;
    return this.client.call(String(name), ...rest);
  }

  async subscribe(channel: string): Promise<void> {
    await this.client.subscribe(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    await this.client.unsubscribe(channel);
  }

  async close(): Promise<void> {
    try {
      if (this.client.status === 'ready') {
        await this.client.quit();
        return;
      }
    } catch {
      // fall through to a hard disconnect
    }
    try {
      this.client.disconnect();
    } catch {
      // already closed
    }
  }
}
