import type { Audience, PresenceChange, SocketCommand } from '../adapter.js';
import type { GroupName, Payload, SocketId, Uid } from '../../types.js';

/*
 * The IPC protocol between the cluster primary (the hub) and its workers (one `ClusterAdapter` per gateway). Every
 * message carries `wsgate: 1`, so the application's own IPC messages pass by untouched, and `node`, the gateway node
 * it is from or for (a worker may run several gateways). Requests carry an `id`; the answer is a `res` (or `err`)
 * with that id, sent back to the side that asked.
 *
 *   worker → primary                                          primary → worker
 *   hello     register the node                               exec          run a socket command here
 *   presence  changes of this node's sockets, in order        deliver       fan-out to this node's sockets
 *   forward   a socket command for node `to`                  ungroupLocal  empty a group on this node
 *   broadcast fan-out to the other nodes                      sessionsLocal this node's session snapshots
 *   ungroup   empty a group on the other nodes
 *   query     a presence question (answered by the primary)
 *   sessions  session snapshots of the other nodes
 *   bye       the node is closing: forget its presence
 *
 * Payload bytes are base64 in JSON: it works with the default IPC serialization (`'json'`) as well as `'advanced'`.
 */

export const IPC_TAG = 1;

/** A payload as it crosses the IPC channel. */
export type IpcPayload = { readonly s: string; readonly bin: boolean } | { readonly b64: string; readonly bin: boolean };

/** A socket command as it crosses the IPC channel (`send` with its payload encoded). */
export type IpcCommand =
  | Exclude<SocketCommand, { op: 'send' }>
  | { readonly op: 'send'; readonly socketIds: readonly SocketId[]; readonly payload: IpcPayload };

export type PresenceQuery =
  | { readonly q: 'isUidOnline'; readonly uid: Uid }
  | { readonly q: 'socketsOfUid'; readonly uid: Uid }
  | { readonly q: 'sockets'; readonly group?: GroupName }
  | { readonly q: 'uids'; readonly group?: GroupName }
  | { readonly q: 'groups' }
  | { readonly q: 'socketCount'; readonly group?: GroupName }
  | { readonly q: 'uidCount'; readonly group?: GroupName };

interface Base {
  readonly wsgate: typeof IPC_TAG;
  readonly node: string;
  readonly id: number;
}

export type WorkerRequest = Base &
  (
    | { readonly t: 'hello' }
    | { readonly t: 'presence'; readonly changes: readonly PresenceChange[] }
    | { readonly t: 'forward'; readonly to: string; readonly cmd: IpcCommand }
    | { readonly t: 'broadcast'; readonly audience: Audience; readonly payload: IpcPayload; readonly exclude: readonly SocketId[] }
    | { readonly t: 'ungroup'; readonly group: GroupName }
    | { readonly t: 'query'; readonly query: PresenceQuery }
    | { readonly t: 'sessions'; readonly group?: GroupName }
    | { readonly t: 'bye' }
  );

export type PrimaryRequest = Base &
  (
    | { readonly t: 'exec'; readonly cmd: IpcCommand }
    | { readonly t: 'deliver'; readonly audience: Audience; readonly payload: IpcPayload; readonly exclude: readonly SocketId[] }
    | { readonly t: 'ungroupLocal'; readonly group: GroupName }
    | { readonly t: 'sessionsLocal'; readonly group?: GroupName }
  );

export type Answer = Base & ({ readonly t: 'res'; readonly v: unknown } | { readonly t: 'err'; readonly e: string });

export type IpcMessage = WorkerRequest | PrimaryRequest | Answer;

export function isIpcMessage(value: unknown): value is IpcMessage {
  const m = value as Partial<Base> & { t?: unknown } | null;
  return typeof m === 'object' && m !== null && m.wsgate === IPC_TAG && typeof m.t === 'string' && typeof m.node === 'string' && typeof m.id === 'number';
}

export function encodePayload(payload: Payload): IpcPayload {
  const data = payload.data;
  if (typeof data === 'string') return { s: data, bin: payload.binary };
  return { b64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), bin: payload.binary };
}

export function decodePayload(payload: IpcPayload): Payload {
  return 's' in payload ? { data: payload.s, binary: payload.bin } : { data: Buffer.from(payload.b64, 'base64'), binary: payload.bin };
}

export function encodeCommand(command: SocketCommand): IpcCommand {
  return command.op === 'send' ? { op: 'send', socketIds: command.socketIds, payload: encodePayload(command.payload) } : command;
}

export function decodeCommand(command: IpcCommand): SocketCommand {
  return command.op === 'send' ? { op: 'send', socketIds: command.socketIds, payload: decodePayload(command.payload) } : command;
}
