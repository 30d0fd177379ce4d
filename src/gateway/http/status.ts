import type { ClusterStats, NodeReport, ProcessInfo } from '../core/node-report.js';
import type { ErrorCounts, GatewayStats } from '../core/stats.js';
import type { Metric, MetricSample } from './metrics.js';

export { processInfo, type ProcessInfo } from '../core/node-report.js';

/*
 * `GET /status` and `GET /metrics` for the whole deployment, whichever node answers: every node that answered
 * (`gateway.clusterStats()`), their sums, and the presence store's counts. Process details (pid, Node version,
 * memory, CPU) only go to holders of the API key: they help an attacker pick exploits and time memory attacks.
 */

/** The counters summed over nodes (`totals` in `/status`). */
const SUMMED = [
  'sockets',
  'uids',
  'groups',
  'connections',
  'authRejected',
  'messagesIn',
  'messagesOut',
  'messagesDropped',
  'errorsOut',
  'rateLimited',
  'heartbeatTimeouts',
  'authTimeouts',
] as const satisfies readonly (keyof GatewayStats)[];

function processFields(proc: ProcessInfo): Record<string, unknown> {
  return {
    memory: { rss: proc.rss, heapUsed: proc.heapUsed, heapTotal: proc.heapTotal, external: proc.external },
    cpuSeconds: proc.cpuSeconds,
    pid: proc.pid,
    node: proc.nodeVersion,
  };
}

function nodeBody(report: NodeReport, withProcess: boolean): Record<string, unknown> {
  return withProcess ? { ...report.stats, ...processFields(report.process) } : { ...report.stats };
}

/**
 * `GET /status`: this node's stats at the top level (as before clusters were reported), then `cluster` (node count,
 * sums over nodes, the presence store's counts) and `nodes` (each node's stats). With `withProcess`, every node's
 * pid, Node version, memory and CPU too.
 */
export function statusBody(view: ClusterStats, withProcess: boolean): Record<string, unknown> {
  const self = view.nodes[0]!;
  const totals: Record<string, unknown> = {};
  for (const key of SUMMED) totals[key] = view.nodes.reduce((sum, n) => sum + n.stats[key], 0);
  totals.errorsByCode = sumErrors(view.nodes);
  return {
    ...nodeBody(self, withProcess),
    cluster: {
      nodes: view.nodes.length,
      presence: view.presence,
      totals,
      ...(view.partial === undefined ? {} : { partial: view.partial }),
    },
    nodes: view.nodes.map((n) => nodeBody(n, withProcess)),
  };
}

function sumErrors(nodes: readonly NodeReport[]): ErrorCounts {
  const sum: Record<string, number> = {};
  for (const n of nodes)
    for (const [code, count] of Object.entries(n.stats.errorsByCode)) sum[code] = (sum[code] ?? 0) + Number(count);
  return sum as unknown as ErrorCounts;
}

/** One metric with a sample per node, labelled `node_id`. */
function perNode(
  nodes: readonly NodeReport[],
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  value: (n: NodeReport) => number,
): Metric {
  return { name, type, help, samples: nodes.map((n) => ({ value: value(n), labels: { node_id: n.stats.nodeId } })) };
}

/**
 * `GET /metrics`: the same numbers as Prometheus metrics, one sample per node labelled `node_id` (sum them with
 * `sum(wsgate_sockets)`), plus `wsgate_cluster_*` from the presence store. Counters end in `_total`, as the format
 * expects. The `process_*`/`nodejs_*` metrics only `withProcess` (see `statusBody`).
 */
export function gatewayMetrics(view: ClusterStats, withProcess: boolean): Metric[] {
  const nodes = view.nodes;
  const g = (name: string, help: string, value: (s: GatewayStats) => number): Metric =>
    perNode(nodes, name, 'gauge', help, (n) => value(n.stats));
  const c = (name: string, help: string, value: (s: GatewayStats) => number): Metric =>
    perNode(nodes, name, 'counter', help, (n) => value(n.stats));
  const errorSamples: MetricSample[] = [];
  for (const n of nodes)
    for (const [code, count] of Object.entries(n.stats.errorsByCode))
      errorSamples.push({ value: Number(count), labels: { node_id: n.stats.nodeId, code } });
  const metrics: Metric[] = [
    perNode(nodes, 'wsgate_info', 'gauge', 'Gateway node identity (always 1).', () => 1),
    {
      name: 'wsgate_cluster_nodes',
      type: 'gauge',
      help: 'Nodes that answered this scrape.',
      samples: [{ value: nodes.length }],
    },
    {
      name: 'wsgate_cluster_sockets',
      type: 'gauge',
      help: 'Sockets in the presence store (every node).',
      samples: [{ value: view.presence.sockets }],
    },
    {
      name: 'wsgate_cluster_uids',
      type: 'gauge',
      help: 'Distinct bound uids in the presence store.',
      samples: [{ value: view.presence.uids }],
    },
    {
      name: 'wsgate_cluster_groups',
      type: 'gauge',
      help: 'Non-empty groups in the presence store.',
      samples: [{ value: view.presence.groups }],
    },
    g('wsgate_sockets', 'Open WebSocket connections, per node.', (s) => s.sockets),
    g('wsgate_uids', 'Distinct uids bound, per node.', (s) => s.uids),
    g('wsgate_groups', 'Groups with at least one socket, per node.', (s) => s.groups),
    g('wsgate_routes', 'Registered route types.', (s) => s.routes),
    g('wsgate_uptime_seconds', 'Seconds since the gateway started.', (s) => s.uptime),
    g('wsgate_start_time_seconds', 'When the gateway started, Unix time in seconds.', (s) => s.startedAt / 1000),
    c('wsgate_connections_total', 'Connections accepted.', (s) => s.connections),
    c('wsgate_auth_rejected_total', 'Upgrades refused by authenticate.', (s) => s.authRejected),
    c('wsgate_messages_in_total', 'Messages received.', (s) => s.messagesIn),
    c(
      'wsgate_messages_out_total',
      'Messages written to sockets (a fan-out to N sockets counts N).',
      (s) => s.messagesOut,
    ),
    c(
      'wsgate_messages_dropped_total',
      'Messages not written: socket closing or over its buffer cap.',
      (s) => s.messagesDropped,
    ),
    c('wsgate_errors_out_total', 'Error envelopes sent to clients.', (s) => s.errorsOut),
    {
      name: 'wsgate_errors_by_code_total',
      type: 'counter',
      help: "Error envelopes sent to clients, by code (application codes under 'other').",
      samples: errorSamples,
    },
    c('wsgate_rate_limited_total', 'Messages dropped or sockets closed by the rate limit.', (s) => s.rateLimited),
    c('wsgate_heartbeat_timeouts_total', 'Sockets terminated by the heartbeat.', (s) => s.heartbeatTimeouts),
    c('wsgate_auth_timeouts_total', 'Sockets closed for not binding a uid within authTimeout.', (s) => s.authTimeouts),
  ];
  if (!withProcess) return metrics;
  const p = (name: string, type: 'gauge' | 'counter', help: string, value: (p: ProcessInfo) => number): Metric =>
    perNode(nodes, name, type, help, (n) => value(n.process));
  metrics.push(
    p('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', (x) => x.rss),
    p('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', (x) => x.cpuSeconds),
    p('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used in bytes.', (x) => x.heapUsed),
    p('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap allocated in bytes.', (x) => x.heapTotal),
    p(
      'nodejs_external_memory_bytes',
      'gauge',
      'Memory of C++ objects bound to JavaScript objects, in bytes.',
      (x) => x.external,
    ),
  );
  return metrics;
}
