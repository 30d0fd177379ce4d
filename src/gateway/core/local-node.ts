import { prepareMessage } from '../../server/prepared.js';
import {
  TOO_MANY_GROUPS,
  type Audience,
  type PresenceChange,
  type RequestOutcome,
  type SocketCommand,
  type SocketCommandResult,
  type SocketCommandResults,
} from '../adapters/commands.js';
import type { GatewaySocket } from './gateway-socket.js';
import { ErrorCode, GatewayError } from './errors.js';
import type { NodeReport } from './node-report.js';
import { createSession, mergeSession } from './session.js';
import { countSend, type Counters } from './stats.js';
import { OPEN } from './transport.js';
import type { GroupName, Payload, Session, SocketId, Uid } from './types.js';

/** Receives the node's presence changes (the gateway wires it to `adapter.presenceChanged`). */
export type PresenceListener = (change: PresenceChange) => void | Promise<void>;

/** Told when a socket binds a uid or leaves (the gateway's `AuthTimer`: a bound socket has no auth deadline). */
export interface AuthDeadlines {
  clear(socket: GatewaySocket): void;
}

/**
 * The sockets one gateway process holds, with two mirrored indexes (uid → sockets, group → sockets; each socket
 * keeps its own uid and groups) and the local half of every operation. Adapters call `execute` for commands routed
 * to this node, `deliver` for fan-out, and the query methods to answer presence questions about this node.
 *
 * Everything here is synchronous except `execute` and `ungroup`, which also wait for the presence listener. It is
 * the only writer of the sockets' `boundUid`, `joined` and `sessionData`, and reaches them only through the
 * `Transport` seam, so tests drive it with fake transports.
 */
export class LocalNode {
  /** This node's id: the prefix of its socket ids. */
  readonly nodeId: string;
  private readonly socketMap = new Map<SocketId, GatewaySocket>();
  private readonly uidIndex = new Map<Uid, Set<GatewaySocket>>();
  private readonly groupIndex = new Map<GroupName, Set<GatewaySocket>>();
  private readonly counters: Counters;
  private readonly listener: PresenceListener;
  private readonly maxGroupsPerSocket: number;
  private readonly deadlines: AuthDeadlines | null;
  /** @internal Recovery on: hands a socket's state to a recovering client (`takeOver` command). */
  handover: ((socket: GatewaySocket, tokenId: string) => Record<string, unknown> | null) | null = null;

  /** @internal Created by the gateway. */
  constructor(
    nodeId: string,
    counters: Counters,
    listener: PresenceListener,
    maxGroupsPerSocket: number,
    deadlines: AuthDeadlines | null = null,
  ) {
    this.nodeId = nodeId;
    this.deadlines = deadlines;
    this.counters = counters;
    this.listener = listener;
    this.maxGroupsPerSocket = maxGroupsPerSocket;
  }

  /** The socket with this id if this node holds it. */
  get(socketId: SocketId): GatewaySocket | undefined {
    return this.socketMap.get(socketId);
  }

  /** Every socket on this node. */
  values(): IterableIterator<GatewaySocket> {
    return this.socketMap.values();
  }

  /** Number of sockets on this node. */
  get size(): number {
    return this.socketMap.size;
  }

  /** This node's stats and process numbers, as other nodes ask for them (the gateway supplies them). */
  statsReport(): NodeReport {
    return this.reporter();
  }

  /** @internal Set by the gateway. */
  reporter: () => NodeReport = () => {
    throw new Error('this node has no gateway to report for');
  };

  /** Entries in the uid index (distinct bound uids on this node). */
  get uidIndexSize(): number {
    return this.uidIndex.size;
  }

  /** Entries in the group index (non-empty groups on this node). */
  get groupIndexSize(): number {
    return this.groupIndex.size;
  }

  // ── lifecycle (called by the gateway) ──────────────────────────────────────────────────────────────────────────

  /** @internal Registers an opened socket and binds the uid `authenticate` gave it. */
  add(socket: GatewaySocket): Promise<void> | void {
    const pending: Promise<void>[] = [];
    this.socketMap.set(socket.id, socket);
    this.report({ type: 'connect', socketId: socket.id }, pending);
    if (socket.initialUid !== null) this.bind(socket, socket.initialUid, pending);
    return settle(pending);
  }

  /** @internal Forgets a closed socket. */
  remove(socket: GatewaySocket): Promise<void> | void {
    if (this.socketMap.get(socket.id) !== socket) return;
    this.socketMap.delete(socket.id);
    this.deadlines?.clear(socket);
    const uid = socket.boundUid;
    if (uid !== null) removeFrom(this.uidIndex, uid, socket);
    for (const group of socket.groups) removeFrom(this.groupIndex, group, socket);
    const pending: Promise<void>[] = [];
    this.report({ type: 'disconnect', socketId: socket.id, uid, groups: [...socket.groups] }, pending);
    return settle(pending);
  }

  // ── commands (routed here by socket id) ────────────────────────────────────────────────────────────────────────

  /** Runs a socket-addressed command on this node; resolves once the presence listener has taken any change. */
  async execute<C extends SocketCommand>(command: C): Promise<SocketCommandResult<C>> {
    const pending: Promise<void>[] = [];
    const result = this.run(command, pending);
    if (pending.length > 0) await Promise.all(pending);
    return result as SocketCommandResult<C>;
  }

  private run(
    command: SocketCommand,
    pending: Promise<void>[],
  ): SocketCommandResults[SocketCommand['op']] | Promise<RequestOutcome> {
    if (command.op === 'send') return this.sendTo(command.socketIds, command.payload);
    const socket = this.socketMap.get(command.socketId);
    switch (command.op) {
      case 'isOnline':
        return socket !== undefined;
      case 'uidOf':
        return socket?.boundUid ?? null;
      case 'groupsOf':
        return socket === undefined ? null : [...socket.groups];
      case 'bindUid':
        if (socket === undefined) return false;
        this.bind(socket, command.uid, pending);
        return true;
      case 'unbindUid':
        if (socket === undefined || socket.boundUid === null) return false;
        if (command.uid !== undefined && command.uid !== socket.boundUid) return false;
        this.unbind(socket, pending);
        return true;
      case 'joinGroup':
        if (socket === undefined) return false;
        if (!socket.groups.has(command.group) && socket.groups.size >= this.maxGroupsPerSocket) return TOO_MANY_GROUPS;
        if (addGroup(socket, command.group)) {
          addTo(this.groupIndex, command.group, socket);
          this.report({ type: 'join', socketId: socket.id, group: command.group }, pending);
        }
        return true;
      case 'leaveGroup':
        if (socket === undefined || !removeGroup(socket, command.group)) return false;
        removeFrom(this.groupIndex, command.group, socket);
        this.report({ type: 'leave', socketId: socket.id, group: command.group }, pending);
        return true;
      case 'getSession':
        return socket === undefined ? null : createSession(socket.sessionData);
      case 'setSession':
        if (socket === undefined) return false;
        socket.sessionData = createSession(command.session);
        return true;
      case 'updateSession':
        if (socket === undefined) return false;
        mergeSession(socket.sessionData, command.patch);
        return true;
      case 'takeOver':
        return socket === undefined || this.handover === null ? null : this.handover(socket, command.tokenId);
      case 'close': {
        if (socket?.transport == null || socket.transport.readyState !== OPEN) return false;
        socket.transport.close(command.code, command.reason);
        return true;
      }
      case 'request':
        if (socket === undefined) return { ok: false, code: 'disconnected', message: 'no such socket' };
        return socket.request(command.type, command.data, { timeout: command.timeout }).then(answered, failed);
    }
  }

  private bind(socket: GatewaySocket, uid: Uid, pending: Promise<void>[]): void {
    this.deadlines?.clear(socket);
    if (socket.boundUid === uid) return;
    if (socket.boundUid !== null) this.unbind(socket, pending);
    socket.boundUid = uid;
    addTo(this.uidIndex, uid, socket);
    this.report({ type: 'bind', socketId: socket.id, uid }, pending);
  }

  private unbind(socket: GatewaySocket, pending: Promise<void>[]): void {
    const uid = socket.boundUid;
    if (uid === null) return;
    socket.boundUid = null;
    removeFrom(this.uidIndex, uid, socket);
    this.report({ type: 'unbind', socketId: socket.id, uid }, pending);
  }

  /** Removes every local socket from `group`; resolves to how many were removed. */
  async ungroup(group: GroupName): Promise<number> {
    const members = this.groupIndex.get(group);
    if (members === undefined) return 0;
    this.groupIndex.delete(group);
    const pending: Promise<void>[] = [];
    for (const socket of members) {
      removeGroup(socket, group);
      this.report({ type: 'leave', socketId: socket.id, group }, pending);
    }
    if (pending.length > 0) await Promise.all(pending);
    return members.size;
  }

  private report(change: PresenceChange, pending: Promise<void>[]): void {
    let result: void | Promise<void>;
    try {
      result = this.listener(change);
    } catch (error) {
      // A listener that throws must not leave the node half-updated: the change is applied, the error is returned.
      result = Promise.reject(error);
    }
    if (result != null) pending.push(Promise.resolve(result));
  }

  // ── delivery ───────────────────────────────────────────────────────────────────────────────────────────────────

  /** Writes `payload` to the listed local sockets (unknown ids are skipped), framed once. Returns sockets written to. */
  sendTo(socketIds: readonly SocketId[], payload: Payload): number {
    if (socketIds.length === 1) {
      const socket = this.socketMap.get(socketIds[0]!);
      return socket === undefined ? 0 : this.writeOne(socket, payload);
    }
    const targets: GatewaySocket[] = [];
    const seen = new Set<SocketId>();
    for (const id of socketIds) {
      const socket = this.socketMap.get(id);
      if (socket !== undefined && !seen.has(id)) {
        seen.add(id);
        targets.push(socket);
      }
    }
    return this.writeMany(targets, payload);
  }

  /** Writes `payload` to this node's sockets in `audience`, except `exclude`, framed once. Returns sockets written to. */
  deliver(audience: Audience, payload: Payload, exclude: readonly SocketId[]): number {
    const skip = exclude.length === 0 ? null : new Set(exclude);
    const targets: GatewaySocket[] = [];
    const take = (socket: GatewaySocket): void => {
      if (skip === null || !skip.has(socket.id)) targets.push(socket);
    };
    switch (audience.kind) {
      case 'all':
        for (const socket of this.socketMap.values()) {
          if (audience.onlyBound !== true || socket.boundUid !== null) take(socket);
        }
        break;
      case 'uids':
        // A socket has at most one uid: the uid sets are disjoint, no de-duplication needed (but uids may repeat).
        for (const uid of new Set(audience.uids)) this.uidIndex.get(uid)?.forEach(take);
        break;
      case 'groups':
        if (audience.groups.length === 1) {
          this.groupIndex.get(audience.groups[0]!)?.forEach(take);
        } else {
          const seen = new Set<GatewaySocket>();
          for (const group of audience.groups) {
            for (const socket of this.groupIndex.get(group) ?? []) {
              if (!seen.has(socket)) {
                seen.add(socket);
                take(socket);
              }
            }
          }
        }
        break;
    }
    return this.writeMany(targets, payload);
  }

  private writeMany(targets: readonly GatewaySocket[], payload: Payload): number {
    if (targets.length === 0) return 0;
    if (targets.length === 1) return this.writeOne(targets[0]!, payload);
    const message = prepareMessage(payload.data, { binary: payload.binary });
    let written = 0;
    for (const socket of targets) {
      if (socket.transport === null) continue;
      written += countSend(this.counters, socket.transport.sendPrepared(message));
    }
    return written;
  }

  private writeOne(socket: GatewaySocket, payload: Payload): number {
    if (socket.transport === null) return 0;
    return countSend(this.counters, socket.transport.send(payload.data, { binary: payload.binary }));
  }

  // ── queries about this node ────────────────────────────────────────────────────────────────────────────────────

  /** Does `uid` have a socket on this node? */
  isUidOnline(uid: Uid): boolean {
    return this.uidIndex.has(uid);
  }

  /** This node's sockets bound to `uid`. */
  socketsOfUid(uid: Uid): SocketId[] {
    return idsOf(this.uidIndex.get(uid));
  }

  /** This node's socket ids, or its members of `group`. */
  sockets(group?: GroupName): SocketId[] {
    if (group === undefined) return [...this.socketMap.keys()];
    return idsOf(this.groupIndex.get(group));
  }

  /** The uids bound on this node, or those with a socket in `group` here. */
  uids(group?: GroupName): Uid[] {
    if (group === undefined) return [...this.uidIndex.keys()];
    const uids = new Set<Uid>();
    for (const socket of this.groupIndex.get(group) ?? []) {
      if (socket.boundUid !== null) uids.add(socket.boundUid);
    }
    return [...uids];
  }

  /** This node's non-empty groups. */
  groups(): GroupName[] {
    return [...this.groupIndex.keys()];
  }

  /** Number of sockets on this node, overall or in `group`. */
  socketCount(group?: GroupName): number {
    return group === undefined ? this.socketMap.size : (this.groupIndex.get(group)?.size ?? 0);
  }

  /** Number of distinct uids bound on this node, overall or in `group`. */
  uidCount(group?: GroupName): number {
    return group === undefined ? this.uidIndex.size : this.uids(group).length;
  }

  /** Session snapshots of this node's sockets, all or the members of `group`. */
  sessions(group?: GroupName): Record<SocketId, Session> {
    const result: Record<SocketId, Session> = {};
    const members = group === undefined ? this.socketMap.values() : (this.groupIndex.get(group) ?? []);
    for (const socket of members) result[socket.id] = createSession(socket.sessionData);
    return result;
  }
}

/** Adds a group to the socket's own list; false when it was already in it. */
function addGroup(socket: GatewaySocket, group: GroupName): boolean {
  const joined = (socket.joined ??= new Set());
  if (joined.has(group)) return false;
  joined.add(group);
  return true;
}

/** Removes a group from the socket's own list; false when it was not in it. */
function removeGroup(socket: GatewaySocket, group: GroupName): boolean {
  return socket.joined !== null && socket.joined.delete(group);
}

function addTo<K>(index: Map<K, Set<GatewaySocket>>, key: K, socket: GatewaySocket): void {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  set.add(socket);
}

function removeFrom<K>(index: Map<K, Set<GatewaySocket>>, key: K, socket: GatewaySocket): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(socket);
  if (set.size === 0) index.delete(key);
}

function idsOf(sockets: Set<GatewaySocket> | undefined): SocketId[] {
  if (sockets === undefined) return [];
  const ids: SocketId[] = [];
  for (const socket of sockets) ids.push(socket.id);
  return ids;
}

function settle(pending: Promise<void>[]): Promise<void> | void {
  if (pending.length === 0) return;
  return Promise.all(pending).then(noop);
}

function noop(): void {}

function answered(data: unknown): RequestOutcome {
  return { ok: true, data };
}

/** A failed server → client request as plain data: a `GatewayError`'s code, anything else as `invalid_argument`. */
function failed(error: unknown): RequestOutcome {
  if (error instanceof GatewayError) return { ok: false, code: error.code, message: error.message };
  return {
    ok: false,
    code: ErrorCode.InvalidArgument,
    message: error instanceof Error ? error.message : String(error),
  };
}
