import { ErrorCode } from '../core/errors.js';
import type { GroupName, Payload, Session, SocketId, Uid } from '../core/types.js';

/*
 * Scale-out seam. A gateway is one *node*; its `LocalNode` holds its sockets, uid/group indexes and sessions. The
 * `Adapter` is how the gateway reaches the other nodes:
 *
 *   gateway.sendToSocket / bindUid / joinGroup / setSession / closeSocket ... (socket-addressed)
 *     ├─ id names this node  → LocalNode.execute(command)                    (no adapter hop)
 *     └─ id names node N     → adapter.forward(N, command) → N's LocalNode.execute(command)
 *   gateway.sendToAll / sendToUid / sendToGroup / ungroup                     (fan-out)
 *     └─ adapter.broadcast / adapter.ungroup → every node delivers to its own sockets, framed once per node
 *   gateway.isUidOnline / socketsOfUid / sockets / uids / groups / counts / sessions   (presence)
 *     └─ adapter.*: in memory here; merged from all nodes (cluster) or read from stored presence (Redis)
 *
 * Every method returns a promise so that a node:cluster or Redis adapter can implement it. Each node's LocalNode
 * reports changes to its sockets' presence through `presenceChanged`, in order; an adapter that stores presence
 * (Redis) writes them, one that asks the nodes (cluster) can ignore them.
 */

/** Who receives a fan-out send. */
export type Audience =
  | { readonly kind: 'all'; /** Only sockets bound to a uid. */ readonly onlyBound?: boolean }
  | { readonly kind: 'uids'; readonly uids: readonly Uid[] }
  | { readonly kind: 'groups'; readonly groups: readonly GroupName[] };

/**
 * An operation on sockets held by one node. A cluster adapter carries these between nodes as they are (plain data:
 * strings, numbers, JSON objects; `payload.data` may be a Uint8Array) and runs them with `LocalNode.execute`.
 */
export type SocketCommand =
  | { readonly op: 'send'; readonly socketIds: readonly SocketId[]; readonly payload: Payload }
  | { readonly op: 'isOnline'; readonly socketId: SocketId }
  | { readonly op: 'uidOf'; readonly socketId: SocketId }
  | { readonly op: 'groupsOf'; readonly socketId: SocketId }
  | { readonly op: 'bindUid'; readonly socketId: SocketId; readonly uid: Uid }
  | { readonly op: 'unbindUid'; readonly socketId: SocketId; /** Only if bound to this uid. */ readonly uid?: Uid }
  | { readonly op: 'joinGroup'; readonly socketId: SocketId; readonly group: GroupName }
  | { readonly op: 'leaveGroup'; readonly socketId: SocketId; readonly group: GroupName }
  | { readonly op: 'getSession'; readonly socketId: SocketId }
  | { readonly op: 'setSession'; readonly socketId: SocketId; readonly session: Session }
  | { readonly op: 'updateSession'; readonly socketId: SocketId; readonly patch: Session }
  | { readonly op: 'close'; readonly socketId: SocketId; readonly code: number; readonly reason: string }
  /** Recovery: end the socket (no close frame) and hand its state to the node recovering it with `tokenId`. */
  | { readonly op: 'takeOver'; readonly socketId: SocketId; readonly tokenId: string };

/** What a `joinGroup` command resolves to when the socket is at its group cap: plain data, so it crosses any adapter. */
export const TOO_MANY_GROUPS = ErrorCode.TooManyGroups;

/** What each command resolves to. `false`/`null`/`0` mean "no such socket" (or no change). */
export interface SocketCommandResults {
  /** Sockets the message was written to. */
  send: number;
  isOnline: boolean;
  uidOf: Uid | null;
  groupsOf: GroupName[] | null;
  /** True if the socket exists (re-binding the same uid is not an error). */
  bindUid: boolean;
  /** True if a uid was unbound. */
  unbindUid: boolean;
  /**
   * True if the socket exists (and is now in the group); `'too_many_groups'` when it was already in
   * `maxGroupsPerSocket` other groups (the owning node decides, so the cap is the same whatever the adapter).
   */
  joinGroup: boolean | typeof TOO_MANY_GROUPS;
  /** True if the socket was in the group. */
  leaveGroup: boolean;
  /** A snapshot (shallow copy) of the session, or null when the socket doesn't exist. */
  getSession: Session | null;
  setSession: boolean;
  updateSession: boolean;
  /** True if the socket was open and is now closing. */
  close: boolean;
  /**
   * The socket's recovery record (a `RecoveryRecord`, plain JSON) when it was open here with that token and recovery
   * is on; the socket is then ended without saving the record. Null otherwise.
   */
  takeOver: Record<string, unknown> | null;
}

export type SocketCommandResult<C extends SocketCommand> = SocketCommandResults[C['op']];

/** The answer for a command whose socket is nowhere (unknown node, node gone, socket closed). */
export function absentResult<C extends SocketCommand>(command: C): SocketCommandResult<C> {
  const absent: SocketCommandResults = {
    send: 0,
    isOnline: false,
    uidOf: null,
    groupsOf: null,
    bindUid: false,
    unbindUid: false,
    joinGroup: false,
    leaveGroup: false,
    getSession: null,
    setSession: false,
    updateSession: false,
    close: false,
    takeOver: null,
  };
  return absent[command.op] as SocketCommandResult<C>;
}

/** A change to the presence of a socket held by the reporting node, reported after the node applied it. */
export type PresenceChange =
  | { readonly type: 'connect'; readonly socketId: SocketId }
  | {
      readonly type: 'disconnect';
      readonly socketId: SocketId;
      readonly uid: Uid | null;
      readonly groups: readonly GroupName[];
    }
  | { readonly type: 'bind'; readonly socketId: SocketId; readonly uid: Uid }
  | { readonly type: 'unbind'; readonly socketId: SocketId; readonly uid: Uid }
  | { readonly type: 'join'; readonly socketId: SocketId; readonly group: GroupName }
  | { readonly type: 'leave'; readonly socketId: SocketId; readonly group: GroupName };
