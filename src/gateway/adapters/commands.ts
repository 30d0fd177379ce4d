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
  | {
      /** Everyone, the sockets of some uids, or the members of some groups. */
      readonly kind: 'all';
      /** Only sockets bound to a uid. */
      readonly onlyBound?: boolean;
    }
  | {
      /** Everyone, the sockets of some uids, or the members of some groups. */
      readonly kind: 'uids';
      /** The uids whose sockets receive it. */
      readonly uids: readonly Uid[];
    }
  | {
      /** Everyone, the sockets of some uids, or the members of some groups. */
      readonly kind: 'groups';
      /** The groups whose members receive it (once each). */
      readonly groups: readonly GroupName[];
    };

/**
 * An operation on sockets held by one node. A cluster adapter carries these between nodes as they are (plain data:
 * strings, numbers, JSON objects; `payload.data` may be a Uint8Array) and runs them with `LocalNode.execute`.
 */
export type SocketCommand =
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'send';
      /** The sockets to write to (those on other nodes are ignored). */
      readonly socketIds: readonly SocketId[];
      /** The message, serialized once. */
      readonly payload: Payload;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'isOnline';
      /** The socket the command is about. */
      readonly socketId: SocketId;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'uidOf';
      /** The socket the command is about. */
      readonly socketId: SocketId;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'groupsOf';
      /** The socket the command is about. */
      readonly socketId: SocketId;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'bindUid';
      /** The socket the command is about. */
      readonly socketId: SocketId;
      /** The uid to bind. */
      readonly uid: Uid;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'unbindUid';
      /** The socket the command is about. */
      readonly socketId: SocketId;
      /** Only if bound to this uid. */
      readonly uid?: Uid;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'joinGroup';
      /** The socket the command is about. */
      readonly socketId: SocketId;
      /** The group to join or leave. */
      readonly group: GroupName;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'leaveGroup';
      /** The socket the command is about. */
      readonly socketId: SocketId;
      /** The group to join or leave. */
      readonly group: GroupName;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'getSession';
      /** The socket the command is about. */
      readonly socketId: SocketId;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'setSession';
      /** The socket the command is about. */
      readonly socketId: SocketId;
      /** The new session (replaces the old one). */
      readonly session: Session;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'updateSession';
      /** The socket the command is about. */
      readonly socketId: SocketId;
      /** Keys merged into the session (shallow). */
      readonly patch: Session;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'close';
      /** The socket the command is about. */
      readonly socketId: SocketId;
      /** Close code. */
      readonly code: number;
      /** Close reason. */
      readonly reason: string;
    }
  | {
      /** The operation; its result type is `SocketCommandResults[op]`. */
      readonly op: 'request';
      /** The socket the command is about. */
      readonly socketId: SocketId;
      /** The request's type (the client's handler name). */
      readonly type: string;
      /** JSON-serializable (it crosses nodes as JSON); absent: no `data` in the request. */
      readonly data?: unknown;
      /** How long the owning node waits for the client's answer, in ms. */
      readonly timeout: number;
    }
  | {
      /** Recovery: end the socket (no close frame) and hand its state to the node recovering it with `tokenId`. */
      readonly op: 'takeOver';
      /** The socket the command is about. */
      readonly socketId: SocketId;
      /** The recovery token's id the socket was issued. */
      readonly tokenId: string;
    };

/**
 * How a server → client request ended (`request` command), as plain data so that it crosses any adapter: the
 * client's answer, or the error code and message `socket.request` rejected with.
 */
export type RequestOutcome =
  | {
      /** The client answered. */
      readonly ok: true;
      /** The client's answer. */
      readonly data: unknown;
    }
  | {
      /** The request failed. */
      readonly ok: false;
      /** The error code `socket.request` rejected with. */
      readonly code: string;
      /** The error message. */
      readonly message: string;
    };

/** What a `joinGroup` command resolves to when the socket is at its group cap: plain data, so it crosses any adapter. */
export const TOO_MANY_GROUPS = ErrorCode.TooManyGroups;

/** What each command resolves to. `false`/`null`/`0` mean "no such socket" (or no change). */
export interface SocketCommandResults {
  /** Sockets the message was written to. */
  send: number;
  /** True if the socket exists. */
  isOnline: boolean;
  /** The socket's uid, or null (unbound or no such socket). */
  uidOf: Uid | null;
  /** The socket's groups, or null when it doesn't exist. */
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
  /** True if the socket exists (its session is replaced). */
  setSession: boolean;
  /** True if the socket exists (the patch is merged). */
  updateSession: boolean;
  /** True if the socket was open and is now closing. */
  close: boolean;
  /** The client's answer, or why there is none (`disconnected` when there is no such socket). */
  request: RequestOutcome;
  /**
   * The socket's recovery record (a `RecoveryRecord`, plain JSON) when it was open here with that token and recovery
   * is on; the socket is then ended without saving the record. Null otherwise.
   */
  takeOver: Record<string, unknown> | null;
}

/** What command `C` resolves to. */
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
    request: { ok: false, code: 'disconnected', message: 'no such socket' },
    takeOver: null,
  };
  return absent[command.op] as SocketCommandResult<C>;
}

/** A change to the presence of a socket held by the reporting node, reported after the node applied it. */
export type PresenceChange =
  | {
      /** What happened to the socket. */
      readonly type: 'connect';
      /** The socket it happened to. */
      readonly socketId: SocketId;
    }
  | {
      /** What happened to the socket. */
      readonly type: 'disconnect';
      /** The socket it happened to. */
      readonly socketId: SocketId;
      /** The uid bound, unbound, or the socket had when it left (`null`: none). */
      readonly uid: Uid | null;
      /** The groups the socket was in when it left. */
      readonly groups: readonly GroupName[];
    }
  | {
      /** What happened to the socket. */
      readonly type: 'bind';
      /** The socket it happened to. */
      readonly socketId: SocketId;
      /** The uid bound, unbound, or the socket had when it left (`null`: none). */
      readonly uid: Uid;
    }
  | {
      /** What happened to the socket. */
      readonly type: 'unbind';
      /** The socket it happened to. */
      readonly socketId: SocketId;
      /** The uid bound, unbound, or the socket had when it left (`null`: none). */
      readonly uid: Uid;
    }
  | {
      /** What happened to the socket. */
      readonly type: 'join';
      /** The socket it happened to. */
      readonly socketId: SocketId;
      /** The group joined or left. */
      readonly group: GroupName;
    }
  | {
      /** What happened to the socket. */
      readonly type: 'leave';
      /** The socket it happened to. */
      readonly socketId: SocketId;
      /** The group joined or left. */
      readonly group: GroupName;
    };
