/*
 * Redis key and channel names of one wsgate cluster. Every name starts with `wsgate:{<namespace>}:` — the braces are
 * a Redis Cluster hash tag, so all keys of a cluster live in one slot and the Lua scripts may touch any of them.
 *
 * Presence (written only by Lua scripts, so every multi-key change is atomic):
 *   nodes          zset   nodeId → heartbeat expiry (Redis clock, ms); a node refreshes its own every ttl/3
 *   n:<node>       set    socket ids held by that node (what the reaper removes when the node is dead)
 *   sockets        hash   socketId → bound uid ('' when unbound): every socket, and the socket → uid mapping
 *   sg:<socketId>  set    the socket's groups
 *   u:<uid>        set    socket ids bound to uid
 *   uids           set    uids with at least one socket
 *   g:<group>      set    socket ids in group
 *   groups         set    non-empty groups
 *   gu:<group>     hash   uid → how many of its sockets are in group (uid count and list per group)
 *
 * Pub/sub (payloads: see redis-wire.ts):
 *   ch:all         every node
 *   ch:n:<node>    one node: socket-addressed commands, sends routed by uid, replies and acknowledgements
 *   ch:g:<group>   the nodes with at least one local member of group (subscribed on first join, left on last leave)
 */
export class RedisKeys {
  /** `wsgate:{<namespace>}:` */
  readonly prefix: string;
  readonly nodes: string;
  readonly sockets: string;
  readonly uids: string;
  readonly groups: string;
  readonly allChannel: string;

  constructor(namespace: string) {
    if (namespace.length === 0 || /[{}]/.test(namespace))
      throw new TypeError(`invalid Redis namespace ${JSON.stringify(namespace)}: non-empty, no braces`);
    this.prefix = `wsgate:{${namespace}}:`;
    this.nodes = `${this.prefix}nodes`;
    this.sockets = `${this.prefix}sockets`;
    this.uids = `${this.prefix}uids`;
    this.groups = `${this.prefix}groups`;
    this.allChannel = `${this.prefix}ch:all`;
  }

  uid(uid: string): string {
    return `${this.prefix}u:${uid}`;
  }

  group(group: string): string {
    return `${this.prefix}g:${group}`;
  }

  groupUids(group: string): string {
    return `${this.prefix}gu:${group}`;
  }

  nodeChannel(nodeId: string): string {
    return `${this.prefix}ch:n:${nodeId}`;
  }

  groupChannel(group: string): string {
    return `${this.prefix}ch:g:${group}`;
  }

  /** The group a group channel is for, or null for other channels. */
  groupOfChannel(channel: string): string | null {
    const head = `${this.prefix}ch:g:`;
    return channel.startsWith(head) ? channel.slice(head.length) : null;
  }
}
