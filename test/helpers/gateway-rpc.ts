// Test fixtures' remote control: routes that let a test client run any gateway method on the node it is connected
// to (`call`), and learn its socket id, node and pid (`whoami`). Not a test file itself.
import type { Gateway } from '../../src/gateway/index.js';

/** The gateway methods a test may call remotely. */
export const RPC_METHODS = [
  'sendToAll',
  'sendToSocket',
  'sendToUid',
  'sendToGroup',
  'bindUid',
  'unbindUid',
  'joinGroup',
  'leaveGroup',
  'ungroup',
  'isOnline',
  'isUidOnline',
  'socketsOfUid',
  'uidOfSocket',
  'groupsOfSocket',
  'sockets',
  'uids',
  'groups',
  'socketCount',
  'uidCount',
  'sessions',
  'getSession',
  'setSession',
  'updateSession',
  'closeSocket',
  'requestSocket',
] as const;

export type RpcMethod = (typeof RPC_METHODS)[number];

/**
 * What `call` answers: the method's value, or the error's name and message (and `code` for a GatewayError,
 * `delivered` for send errors).
 */
export type RpcResult = { ok: unknown } | { err: string; message: string; code?: string; delivered?: number };

export function installRpc(gateway: Gateway): void {
  gateway.route('whoami', ({ socket }) => ({ id: socket.id, node: gateway.nodeId, pid: process.pid }));
  gateway.route('call', async ({ data }): Promise<RpcResult> => {
    const { method, args } = data as { method: RpcMethod; args: unknown[] };
    if (!RPC_METHODS.includes(method)) return { err: 'TypeError', message: `no such method ${String(method)}` };
    try {
      const fn = gateway[method] as (...a: unknown[]) => Promise<unknown>;
      return { ok: await fn.apply(gateway, args) };
    } catch (error) {
      const e = error as Error & { delivered?: number; code?: unknown };
      return {
        err: e.name,
        message: e.message,
        ...(typeof e.code === 'string' ? { code: e.code } : {}),
        ...(e.delivered !== undefined ? { delivered: e.delivered } : {}),
      };
    }
  });
  // What the caller's own session looks like on this node (prototype included: what getSession can't show).
  gateway.route('sessionProbe', ({ socket }) => {
    const session = socket.session as Record<string, unknown>;
    return {
      keys: Object.keys(session),
      nullPrototype: Object.getPrototypeOf(session) === null,
      role: session.role ?? null,
    };
  });
  // Benchmarks: runs a method `count` times, `concurrency` calls in flight, on this node; times each call.
  gateway.route('burst', async ({ data }): Promise<BurstResult> => {
    const { method, args, count, concurrency } = data as {
      method: RpcMethod;
      args: unknown[];
      count: number;
      concurrency: number;
    };
    const fn = gateway[method] as (...a: unknown[]) => Promise<unknown>;
    const latencies: number[] = [];
    let started = 0;
    let total = 0;
    let failed = 0;
    const begin = performance.now();
    const lane = async (): Promise<void> => {
      while (started < count) {
        started++;
        const t = performance.now();
        try {
          const written = Number(await fn.apply(gateway, args));
          total += written;
        } catch {
          failed++;
        }
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    const ms = performance.now() - begin;
    latencies.sort((x, y) => x - y);
    const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return { ms, total, failed, p50: at(0.5), p99: at(0.99) };
  });
}

/** What `burst` answers: wall time, the sum of the results (sockets written to), failures, latency percentiles (ms). */
export interface BurstResult {
  ms: number;
  total: number;
  failed: number;
  p50: number;
  p99: number;
}

/** Prints one JSON line on stdout: how fixtures talk to the test that started them. */
export function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}
