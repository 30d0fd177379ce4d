import type { Audience, PresenceChange } from '../adapter.js';
import type { GroupName, SocketId, Uid } from '../../core/types.js';
import type { PresenceQuery, PresenceQueryResult, PresenceQueryResults } from './ipc.js';

interface Entry {
  readonly node: string;
  uid: Uid | null;
  readonly groups: Set<GroupName>;
}

/**
 * The presence of every node of a cluster, kept in one process (the cluster primary) from the changes the nodes
 * report: every socket with its node, uid and groups, and the indexes uid → sockets, group → sockets,
 * node → sockets. Queries are answered here without asking the nodes; a dead node is dropped in one call.
 *
 * Changes are applied as the idempotent state they describe (a `bind` replaces any previous uid, a `disconnect`
 * removes whatever the socket still had), so a change that arrives twice or out of step can't corrupt the indexes.
 */
export class PresenceIndex {
  private readonly entries = new Map<SocketId, Entry>();
  private readonly byNode = new Map<string, Set<SocketId>>();
  private readonly byUid = new Map<Uid, Set<SocketId>>();
  private readonly byGroup = new Map<GroupName, Set<SocketId>>();

  apply(node: string, change: PresenceChange): void {
    const id = change.socketId;
    switch (change.type) {
      case 'connect':
        this.entry(node, id);
        return;
      case 'disconnect':
        this.remove(id);
        return;
      case 'bind': {
        const entry = this.entry(node, id);
        if (entry.uid === change.uid) return;
        if (entry.uid !== null) removeFrom(this.byUid, entry.uid, id);
        entry.uid = change.uid;
        addTo(this.byUid, change.uid, id);
        return;
      }
      case 'unbind': {
        const entry = this.entries.get(id);
        if (entry === undefined || entry.uid !== change.uid) return;
        removeFrom(this.byUid, change.uid, id);
        entry.uid = null;
        return;
      }
      case 'join': {
        const entry = this.entry(node, id);
        if (entry.groups.has(change.group)) return;
        entry.groups.add(change.group);
        addTo(this.byGroup, change.group, id);
        return;
      }
      case 'leave': {
        const entry = this.entries.get(id);
        if (entry === undefined || !entry.groups.delete(change.group)) return;
        removeFrom(this.byGroup, change.group, id);
        return;
      }
    }
  }

  /** Forgets every socket of `node`; returns how many there were. */
  dropNode(node: string): number {
    const ids = this.byNode.get(node);
    if (ids === undefined) return 0;
    const count = ids.size;
    for (const id of [...ids]) this.remove(id);
    this.byNode.delete(node);
    return count;
  }

  /** The nodes (other than `except`) that hold at least one socket of `audience`. */
  nodesFor(audience: Audience, except: string): Set<string> {
    const nodes = new Set<string>();
    const addNodesOf = (ids: Set<SocketId> | undefined): void => {
      for (const id of ids ?? []) {
        const node = this.entries.get(id)!.node;
        if (node !== except) nodes.add(node);
      }
    };
    switch (audience.kind) {
      case 'all':
        for (const [node, ids] of this.byNode) if (node !== except && ids.size > 0) nodes.add(node);
        break;
      case 'uids':
        for (const uid of audience.uids) addNodesOf(this.byUid.get(uid));
        break;
      case 'groups':
        for (const group of audience.groups) addNodesOf(this.byGroup.get(group));
        break;
    }
    return nodes;
  }

  /** The nodes (other than `except`) holding sockets: all of them, or the members of `group`. */
  nodesHolding(group: GroupName | undefined, except: string): Set<string> {
    return group === undefined
      ? this.nodesFor({ kind: 'all' }, except)
      : this.nodesFor({ kind: 'groups', groups: [group] }, except);
  }

  answer<Q extends PresenceQuery>(query: Q): PresenceQueryResult<Q> {
    return this.answerAny(query) as PresenceQueryResult<Q>;
  }

  private answerAny(query: PresenceQuery): PresenceQueryResults[PresenceQuery['q']] {
    switch (query.q) {
      case 'isUidOnline':
        return this.byUid.has(query.uid);
      case 'socketsOfUid':
        return [...(this.byUid.get(query.uid) ?? [])];
      case 'sockets':
        return query.group === undefined ? [...this.entries.keys()] : [...(this.byGroup.get(query.group) ?? [])];
      case 'uids':
        return query.group === undefined ? [...this.byUid.keys()] : [...this.uidsIn(query.group)];
      case 'groups':
        return [...this.byGroup.keys()];
      case 'socketCount':
        return query.group === undefined ? this.entries.size : (this.byGroup.get(query.group)?.size ?? 0);
      case 'uidCount':
        return query.group === undefined ? this.byUid.size : this.uidsIn(query.group).size;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private uidsIn(group: GroupName): Set<Uid> {
    const uids = new Set<Uid>();
    for (const id of this.byGroup.get(group) ?? []) {
      const uid = this.entries.get(id)!.uid;
      if (uid !== null) uids.add(uid);
    }
    return uids;
  }

  private entry(node: string, id: SocketId): Entry {
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = { node, uid: null, groups: new Set() };
      this.entries.set(id, entry);
      addTo(this.byNode, node, id);
    }
    return entry;
  }

  private remove(id: SocketId): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    removeFrom(this.byNode, entry.node, id);
    if (entry.uid !== null) removeFrom(this.byUid, entry.uid, id);
    for (const group of entry.groups) removeFrom(this.byGroup, group, id);
  }
}

function addTo<K>(index: Map<K, Set<SocketId>>, key: K, id: SocketId): void {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  set.add(id);
}

function removeFrom<K>(index: Map<K, Set<SocketId>>, key: K, id: SocketId): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(id);
  if (set.size === 0) index.delete(key);
}
