// Moved to adapters/memory/; kept while the gateway core is restructured in parallel (remove after merging).
export { MemoryAdapter } from './adapters/memory/memory-adapter.js';
