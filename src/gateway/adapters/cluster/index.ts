/** Scale-out over node:cluster: the primary's hub and the workers' adapter (see docs/scale-out.md). */
export { ClusterAdapter } from './cluster-adapter.js';
export type { ClusterAdapterOptions, IpcChannel } from './cluster-adapter.js';
export { ClusterHub, createClusterHub } from './hub.js';
export type { ClusterHubOptions, ClusterHubEvents, WorkerExit } from './hub.js';
export { PresenceIndex } from './presence-index.js';
