// Moved to adapters/adapter.ts; kept while the gateway core is restructured in parallel (remove after merging).
export * from './adapters/adapter.js';
