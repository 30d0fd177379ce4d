// The `MEM {json}` line every bench server prints on a `mem` request (bench/run.ts reads it). Shared so that the
// three servers are measured the same way; it is harness code, not part of what is measured.
import { getHeapSpaceStatistics } from 'node:v8';

/** Young-generation spaces: empty after a full GC; their size is V8's tuning to the allocation rate. */
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);

/** Runs a full GC (twice, when the process runs with --expose-gc), then describes the process's memory. */
export function memoryReportLine(clients) {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  let young = 0;
  for (const space of getHeapSpaceStatistics())
    if (YOUNG_SPACES.has(space.space_name)) young += space.physical_space_size;
  const report = {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    young,
    clients,
  };
  return `MEM ${JSON.stringify(report)}\n`;
}
