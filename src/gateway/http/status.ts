import type { GatewayStats } from '../core/stats.js';
import { single, type Metric } from './metrics.js';

/** Process numbers shown next to the gateway's. */
export interface ProcessInfo {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  /** User + system CPU time, seconds. */
  readonly cpuSeconds: number;
  readonly pid: number;
  readonly nodeVersion: string;
}

export function processInfo(): ProcessInfo {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    pid: process.pid,
    nodeVersion: process.version,
  };
}

/**
 * `GET /status`: the gateway's stats (this node), plus the process's memory, pid and Node version when `proc` is
 * given (only to holders of the API key: they help an attacker pick exploits and time memory attacks).
 */
export function statusBody(stats: GatewayStats, proc: ProcessInfo | null): Record<string, unknown> {
  if (proc === null) return { ...stats };
  return {
    ...stats,
    memory: { rss: proc.rss, heapUsed: proc.heapUsed, heapTotal: proc.heapTotal, external: proc.external },
    pid: proc.pid,
    node: proc.nodeVersion,
  };
}

/**
 * `GET /metrics`: the same numbers as Prometheus metrics. Counters end in `_total`, as the format expects. The
 * `process_*`/`nodejs_*` metrics only with `proc` (see `statusBody`).
 */
export function gatewayMetrics(stats: GatewayStats, proc: ProcessInfo | null): Metric[] {
  const metrics: Metric[] = [
    {
      name: 'wsgate_info',
      type: 'gauge',
      help: 'Gateway node identity (always 1).',
      samples: [{ value: 1, labels: { node_id: stats.nodeId } }],
    },
    single('wsgate_sockets', 'gauge', 'Open WebSocket connections on this node.', stats.sockets),
    single('wsgate_uids', 'gauge', 'Distinct uids bound on this node.', stats.uids),
    single('wsgate_groups', 'gauge', 'Groups with at least one socket on this node.', stats.groups),
    single('wsgate_routes', 'gauge', 'Registered route types.', stats.routes),
    single('wsgate_uptime_seconds', 'gauge', 'Seconds since the gateway started.', stats.uptime),
    single(
      'wsgate_start_time_seconds',
      'gauge',
      'When the gateway started, Unix time in seconds.',
      stats.startedAt / 1000,
    ),
    single('wsgate_connections_total', 'counter', 'Connections accepted.', stats.connections),
    single('wsgate_auth_rejected_total', 'counter', 'Upgrades refused by authenticate.', stats.authRejected),
    single('wsgate_messages_in_total', 'counter', 'Messages received.', stats.messagesIn),
    single(
      'wsgate_messages_out_total',
      'counter',
      'Messages written to sockets (a fan-out to N sockets counts N).',
      stats.messagesOut,
    ),
    single(
      'wsgate_messages_dropped_total',
      'counter',
      'Messages not written: socket closing or over its buffer cap.',
      stats.messagesDropped,
    ),
    single('wsgate_errors_out_total', 'counter', 'Error envelopes sent to clients.', stats.errorsOut),
    single(
      'wsgate_rate_limited_total',
      'counter',
      'Messages dropped or sockets closed by the rate limit.',
      stats.rateLimited,
    ),
    single(
      'wsgate_heartbeat_timeouts_total',
      'counter',
      'Sockets terminated by the heartbeat.',
      stats.heartbeatTimeouts,
    ),
    single(
      'wsgate_auth_timeouts_total',
      'counter',
      'Sockets closed for not binding a uid within authTimeout.',
      stats.authTimeouts,
    ),
  ];
  if (proc === null) return metrics;
  metrics.push(
    single('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', proc.rss),
    single('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', proc.cpuSeconds),
    single('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used in bytes.', proc.heapUsed),
    single('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap allocated in bytes.', proc.heapTotal),
    single(
      'nodejs_external_memory_bytes',
      'gauge',
      'Memory of C++ objects bound to JavaScript objects, in bytes.',
      proc.external,
    ),
  );
  return metrics;
}
