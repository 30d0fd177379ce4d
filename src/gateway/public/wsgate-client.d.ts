// Types for the browser client served at /wsgate.js (the code is plain JavaScript in wsgate-client.js).
// No DOM types needed: the WebSocket it uses is described structurally.

export interface ReconnectOptions {
  /** First delay cap in ms. Default 250. */
  minDelay?: number;
  /** Largest delay in ms. Default 10,000. */
  maxDelay?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Full jitter: each delay is uniform in [0, cap]. Default true. */
  jitter?: boolean;
  /** Give up after this many failed attempts in a row. Default Infinity. */
  maxAttempts?: number;
}

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface WsgateClientOptions {
  /** `false` turns reconnecting off. */
  reconnect?: false | ReconnectOptions;
  protocols?: string | string[];
  /** Default request timeout in ms. Default 10,000. */
  timeout?: number;
  /** Messages kept while disconnected. Default 1,000. */
  maxQueue?: number;
  /** Connect in the constructor. Default true. */
  autoConnect?: boolean;
  /** WebSocket implementation. Default `globalThis.WebSocket`. */
  WebSocket?: unknown;
}

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface Envelope {
  type: string;
  data?: unknown;
  id?: string | number;
  error?: { code: string; message: string };
}

export interface OpenEvent {
  reconnected: boolean;
}
export interface CloseEvent {
  code: number;
  reason: string;
  wasClean: boolean;
  wasOpen: boolean;
}
export interface ReconnectingEvent {
  attempt: number;
  delay: number;
}

export class WsgateError extends Error {
  /** The server's error code, or 'timeout' | 'disconnected' | 'closed' | 'queue_full' | 'bad_json'. */
  readonly code: string;
  /** The server's error envelope, when there is one. */
  readonly reply: Envelope | undefined;
  constructor(code: string, message: string, reply?: unknown);
}

export function backoffDelay(
  attempt: number,
  options: { minDelay: number; maxDelay: number; factor: number; jitter: boolean },
  random?: () => number,
): number;

export class WsgateClient {
  constructor(url: string | URL, options?: WsgateClientOptions);
  readonly url: string;
  readonly state: ClientState;
  readonly connected: boolean;
  connect(): void;
  close(code?: number, reason?: string): void;
  send(type: string, data?: unknown): boolean;
  request<T = unknown>(type: string, data?: unknown, options?: { timeout?: number }): Promise<T>;
  on(event: 'open', fn: (event: OpenEvent) => void): () => void;
  on(event: 'close', fn: (event: CloseEvent) => void): () => void;
  on(event: 'reconnecting', fn: (event: ReconnectingEvent) => void): () => void;
  on(event: 'error', fn: (error: Error) => void): () => void;
  on(event: 'message', fn: (envelope: Envelope) => void): () => void;
  on(event: string, fn: (data: any, envelope: Envelope) => void): () => void;
  off(event: string, fn: (...args: any[]) => void): void;
  once(event: string, fn: (...args: any[]) => void): () => void;
}

export default WsgateClient;
