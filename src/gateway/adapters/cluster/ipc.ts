import type { PresenceChange } from '../adapter.js';
import type { Target } from '../base.js';
import type { GroupName, SocketId, Uid } from '../../core/types.js';
import { isJsonMessage, type JsonMessage } from '../wire.js';
import { HISTORY_CALLS, type HistoryCall } from './history-calls.js';

/*
 * The IPC envelope between the cluster primary (the hub) and its workers (one `ClusterAdapter` per gateway). What
 * nodes say to each other is wire.ts's vocabulary (as JSON); the hub only routes it and keeps presence. Every
 * envelope carries `wsgate: 1`, so the application's own IPC messages pass by untouched.
 *
 *   worker → primary   { from, id, call }      a call to the hub, answered with a reply message (from HUB) for `id`
 *                                              hello | presence | publish (→ ids of the nodes reached) | query | bye
 *                                              | lease (→ true when the caller holds it) | release
 *                      { from, to, msg }       a message for node `to` (replies to its requests)
 *   primary → worker   { to, msg }             a message for node `to` (a relayed request or reply, a hub answer)
 *                      { to, gone }            node `gone` left: stop waiting for it
 */

export const IPC_TAG = 1;

/** The `o` of the hub's answers. */
export const HUB = '@hub';

export type PresenceQuery =
  | { readonly q: 'isUidOnline'; readonly uid: Uid }
  | { readonly q: 'socketsOfUid'; readonly uid: Uid }
  | { readonly q: 'sockets'; readonly group?: GroupName }
  | { readonly q: 'uids'; readonly group?: GroupName }
  | { readonly q: 'groups' }
  | { readonly q: 'socketCount'; readonly group?: GroupName }
  | { readonly q: 'uidCount'; readonly group?: GroupName };

export interface PresenceQueryResults {
  isUidOnline: boolean;
  socketsOfUid: SocketId[];
  sockets: SocketId[];
  uids: Uid[];
  groups: GroupName[];
  socketCount: number;
  uidCount: number;
}

export type PresenceQueryResult<Q extends PresenceQuery> = PresenceQueryResults[Q['q']];

export type HubCall =
  | { readonly t: 'hello' }
  | { readonly t: 'presence'; readonly changes: readonly PresenceChange[] }
  | { readonly t: 'publish'; readonly target: Target; readonly msg: JsonMessage }
  | { readonly t: 'query'; readonly query: PresenceQuery }
  | { readonly t: 'bye' }
  | { readonly t: 'lease'; readonly name: string; readonly ttl: number }
  | { readonly t: 'release'; readonly name: string; readonly after: number }
  | HistoryCall;

export type ToHub =
  | { readonly wsgate: typeof IPC_TAG; readonly from: string; readonly id: number; readonly call: HubCall }
  | { readonly wsgate: typeof IPC_TAG; readonly from: string; readonly to: string; readonly msg: JsonMessage };

export type ToWorker =
  | { readonly wsgate: typeof IPC_TAG; readonly to: string; readonly msg: JsonMessage }
  | { readonly wsgate: typeof IPC_TAG; readonly to: string; readonly gone: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * A worker's envelope, checked as far as the hub relies on it (a call's own fields are trusted: both ends are this
 * module, in processes the primary forked). Null for anything else, the application's own messages included.
 */
export function parseToHub(e: unknown): ToHub | null {
  if (!isRecord(e) || e.wsgate !== IPC_TAG || typeof e.from !== 'string') return null;
  const { from, id, call, to, msg } = e;
  if (typeof id === 'number' && isHubCall(call)) return { wsgate: IPC_TAG, from, id, call };
  if (typeof to === 'string' && isJsonMessage(msg)) return { wsgate: IPC_TAG, from, to, msg };
  return null;
}

export function parseToWorker(e: unknown): ToWorker | null {
  if (!isRecord(e) || e.wsgate !== IPC_TAG || typeof e.to !== 'string') return null;
  const { to, gone, msg } = e;
  if (typeof gone === 'string') return { wsgate: IPC_TAG, to, gone };
  if (isJsonMessage(msg)) return { wsgate: IPC_TAG, to, msg };
  return null;
}

const CALLS: ReadonlySet<unknown> = new Set<HubCall['t']>([
  'hello',
  'presence',
  'publish',
  'query',
  'bye',
  'lease',
  'release',
  ...HISTORY_CALLS,
]);

function isHubCall(call: unknown): call is HubCall {
  return isRecord(call) && CALLS.has(call.t);
}
