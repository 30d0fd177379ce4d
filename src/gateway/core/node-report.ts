import type { GatewayStats } from './stats.js';

/** Process numbers shown next to the gateway's (to holders of the API key only). */
export interface ProcessInfo {
  /** Resident set size, bytes (`process.memoryUsage().rss`). */
  readonly rss: number;
  /** V8 heap in use, bytes. */
  readonly heapUsed: number;
  /** V8 heap allocated, bytes. */
  readonly heapTotal: number;
  /** Memory of C++ objects bound to JS objects (buffers included), bytes. */
  readonly external: number;
  /** User + system CPU time, seconds. */
  readonly cpuSeconds: number;
  /** The process id. */
  readonly pid: number;
  /** `process.version`, e.g. `v22.11.0`. */
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

/** What one node tells the others about itself when asked (`/status`, `/metrics`, the dashboard). */
export interface NodeReport {
  /** The node's `gateway.stats()`. */
  readonly stats: GatewayStats;
  /** The node's process figures. */
  readonly process: ProcessInfo;
}

/** The deployment as `gateway.clusterStats()` sees it: every node that answered, and the presence store's counts. */
export interface ClusterStats {
  /** Every node that answered, this one first. */
  readonly nodes: readonly NodeReport[];
  /** Counts from the presence store (the adapter): what `socketCount()`, `uidCount()` and `groups()` answer. */
  readonly presence: {
    /** Open sockets in the cluster. */
    readonly sockets: number;
    /** Distinct uids bound in the cluster. */
    readonly uids: number;
    /** Groups with at least one member in the cluster. */
    readonly groups: number;
  };
  /** Set when some nodes could not be asked (the adapter is down): the reason; the numbers are this node's. */
  readonly partial?: string;
  /** When it was gathered (epoch ms). */
  readonly at: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A report that came over the wire, checked as far as the HTTP layer relies on it; null for anything else. */
export function parseNodeReport(value: unknown): NodeReport | null {
  if (!isRecord(value) || !isRecord(value.stats) || !isRecord(value.process)) return null;
  const stats = value.stats;
  if (typeof stats.nodeId !== 'string' || typeof stats.sockets !== 'number') return null;
  if (!isRecord(stats.errorsByCode)) return null;
  return value as unknown as NodeReport;
}
