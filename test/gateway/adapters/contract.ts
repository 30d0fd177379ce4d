// The adapter contract (not a test file itself): what every scale-out adapter must do, written once and run against
// each of them by contract.test.ts (socket.io-adapter's test/cluster-adapter.ts is the model). A `Harness` is a
// running cluster of gateway nodes — in this process (memory), `node:cluster` workers, or processes on one
// redis-server — each with the RPC routes of test/helpers/gateway-rpc.ts; the tests drive every gateway method from
// a client on one node about sockets held by the others, so every call crosses the adapter.
import { expect, it } from 'vitest';
import { TestClient } from '../helpers.js';
import type { RpcResult } from '../../helpers/gateway-rpc.js';

export interface Client {
  readonly ws: TestClient;
  readonly id: string;
  readonly node: string;
  readonly pid: number;
}

export interface Harness {
  /** Nodes in the cluster. */
  readonly nodes: number;
  /** `maxGroupsPerSocket` of every node. */
  readonly maxGroups: number;
  /** Opens a client on node `index` (0 ≤ index < nodes). */
  connect(index: number): Promise<Client>;
  /** SIGKILLs the node `client` is on (absent for a cluster of one). */
  kill?(client: Client): Promise<void>;
  /** How long presence may take to forget a killed node's sockets. */
  readonly forgetWithin: number;
  stop(): Promise<void>;
}

/** Runs a gateway method on the node `client` is connected to. */
export async function call(client: Client, method: string, ...args: unknown[]): Promise<unknown> {
  const result = (await client.ws.request('call', { method, args }, 10_000)).data as RpcResult;
  if ('err' in result) throw new Error(`${method} failed on ${client.node}: ${result.err}: ${result.message}`);
  return result.ok;
}

/** Runs a gateway method that must fail; resolves to its GatewayError code. */
export async function callError(client: Client, method: string, ...args: unknown[]): Promise<string | undefined> {
  const result = (await client.ws.request('call', { method, args }, 10_000)).data as RpcResult;
  if (!('err' in result))
    throw new Error(`${method} on ${client.node} resolved ${JSON.stringify(result.ok)}; expected an error`);
  return result.code;
}

/** A client on `url`, with who it is. */
export async function openClient(url: string): Promise<Client> {
  const ws = await TestClient.open(url);
  const who = (await ws.request('whoami', undefined, 5_000)).data as { id: string; node: string; pid: number };
  return { ws, ...who };
}

const sorted = (value: unknown): string[] => [...(value as string[])].sort();

/**
 * The contract. `harness()` is the running cluster (started by the caller's beforeAll). Each test opens its own
 * clients, one per node as far as there are nodes (A, B, C: on three nodes, or all on the only one), uses names
 * of its own, and closes its clients at the end, so the tests don't see each other.
 */
export function adapterContract(harness: () => Harness, cases: { nodeLoss: boolean }): void {
  async function three(): Promise<[Client, Client, Client]> {
    const h = harness();
    const [a, b, c] = await Promise.all([0, 1, 2].map((i) => h.connect(i % h.nodes)));
    return [a!, b!, c!];
  }
  /** Sockets of the whole cluster now (other tests' clients may still be leaving). */
  async function everyone(from: Client): Promise<string[]> {
    return sorted(await call(from, 'sockets'));
  }

  it('sends to every audience, with the number of sockets written to', async () => {
    const [A, B, C] = await three();
    expect(await call(A, 'bindUid', B.id, 's-bob')).toBe(true);
    expect(await call(A, 'bindUid', C.id, 's-carol')).toBe(true);
    expect(await call(A, 'joinGroup', B.id, 's-room')).toBe(true);
    expect(await call(A, 'joinGroup', C.id, 's-room')).toBe(true);
    expect(await call(C, 'joinGroup', A.id, 's-other')).toBe(true);

    expect(await call(A, 'sendToSocket', C.id, { direct: 1 })).toBe(1);
    expect(await C.ws.json()).toEqual({ direct: 1 });
    expect(await call(A, 'sendToSocket', [B.id, C.id, A.id, 'nosuchnode.1'], 'many')).toBe(3);
    for (const x of [A, B, C]) expect(await x.ws.next()).toBe('many');
    expect(await call(A, 'sendToGroup', 's-room', { to: 'room' })).toBe(2);
    expect(await B.ws.json()).toEqual({ to: 'room' });
    expect(await C.ws.json()).toEqual({ to: 'room' });
    // Several groups: a socket in two of them gets the message once.
    expect(await call(A, 'joinGroup', B.id, 's-other')).toBe(true);
    expect(await call(C, 'sendToGroup', ['s-room', 's-other'], 'rooms')).toBe(3);
    for (const x of [A, B, C]) expect(await x.ws.next()).toBe('rooms');
    expect(await call(C, 'sendToUid', 's-bob', 'to bob')).toBe(1);
    expect(await B.ws.next()).toBe('to bob');
    expect(await call(A, 'sendToUid', ['s-bob', 's-carol', 's-nobody'], 'to both')).toBe(2);
    expect(await B.ws.next()).toBe('to both');
    expect(await C.ws.next()).toBe('to both');
    expect(await call(B, 'sendToGroup', 's-empty', 'nobody')).toBe(0);
    const all = (await everyone(A)).length;
    expect(await call(B, 'sendToAll', 'everyone')).toBe(all);
    for (const x of [A, B, C]) expect(await x.ws.next()).toBe('everyone');
    // Every uid of these tests is bound to one socket: as many bound sockets as uids.
    expect(await call(B, 'sendToAll', 'bound only', { onlyBound: true })).toBe(await call(A, 'uidCount'));
    for (const x of [B, C]) expect(await x.ws.next()).toBe('bound only');
    expect(await A.ws.silentFor(100)).toBe(true);
  });

  it('skips the excluded sockets, wherever they are', async () => {
    const [A, B, C] = await three();
    for (const x of [A, B, C]) expect(await call(A, 'joinGroup', x.id, 'x-room')).toBe(true);
    expect(await call(A, 'sendToGroup', 'x-room', 'not C', { exclude: C.id })).toBe(2);
    expect(await A.ws.next()).toBe('not C');
    expect(await B.ws.next()).toBe('not C');
    expect(await call(B, 'sendToGroup', 'x-room', 'only C', { exclude: [A.id, B.id] })).toBe(1);
    expect(await C.ws.next()).toBe('only C');
    const all = (await everyone(A)).length;
    expect(await call(C, 'sendToAll', 'not A', { exclude: A.id })).toBe(all - 1);
    expect(await B.ws.next()).toBe('not A');
    expect(await A.ws.silentFor(100)).toBe(true);
  });

  it('runs socket commands on the node that holds the socket', async () => {
    const [A, B, C] = await three();
    expect(await call(C, 'isOnline', B.id)).toBe(true);
    expect(await call(C, 'isOnline', 'nosuchnode.1')).toBe(false);
    expect(await call(A, 'bindUid', B.id, 'c-bob')).toBe(true);
    expect(await call(C, 'uidOfSocket', B.id)).toBe('c-bob');
    expect(await call(A, 'unbindUid', B.id, 'c-someone-else')).toBe(false);
    expect(await call(C, 'unbindUid', B.id)).toBe(true);
    expect(await call(C, 'uidOfSocket', B.id)).toBe(null);
    expect(await call(A, 'joinGroup', C.id, 'c-room')).toBe(true);
    expect(await call(B, 'groupsOfSocket', C.id)).toEqual(['c-room']);
    expect(await call(B, 'leaveGroup', C.id, 'c-room')).toBe(true);
    expect(await call(B, 'leaveGroup', C.id, 'c-room')).toBe(false);
    expect(await call(A, 'groupsOfSocket', C.id)).toEqual([]);
    expect(await call(A, 'bindUid', 'nosuchnode.1', 'x')).toBe(false);
    expect(await call(A, 'groupsOfSocket', 'nosuchnode.1')).toEqual([]);
    expect(await call(A, 'closeSocket', C.id, 4000, 'bye')).toBe(true);
    expect(await C.ws.closed).toEqual({ code: 4000, reason: 'bye' });
    await expect.poll(() => call(A, 'isOnline', C.id)).toBe(false);
    expect(await call(A, 'closeSocket', C.id, 4000, 'again')).toBe(false);
  });

  it('asks a client on another node (requestSocket) and brings back its answer or its error', async () => {
    const [A, , C] = await three();
    const answer = call(A, 'requestSocket', C.id, 'confirm', { question: 'sure?' }, { timeout: 5_000 });
    const asked = await C.ws.json(5_000);
    expect(asked).toMatchObject({ type: 'confirm', data: { question: 'sure?' } });
    C.ws.send({ type: 'confirm', replyTo: asked.request, data: { ok: true } });
    expect(await answer).toEqual({ ok: true });

    const refused = callError(A, 'requestSocket', C.id, 'confirm');
    const again = await C.ws.json(5_000);
    C.ws.send({ type: 'error', replyTo: again.request, error: { code: 'declined', message: 'no' } });
    expect(await refused).toBe('declined');
    expect(await callError(A, 'requestSocket', C.id, 'confirm', undefined, { timeout: 100 })).toBe('timeout');
    expect(await callError(A, 'requestSocket', 'nosuchnode.1', 'confirm')).toBe('disconnected');
  });

  it('answers presence queries about every node', async () => {
    const [A, B, C] = await three();
    expect(await call(A, 'bindUid', B.id, 'p-bob')).toBe(true);
    expect(await call(A, 'bindUid', C.id, 'p-carol')).toBe(true);
    expect(await call(B, 'joinGroup', B.id, 'p-room')).toBe(true);
    expect(await call(B, 'joinGroup', C.id, 'p-room')).toBe(true);
    expect(await call(C, 'isUidOnline', 'p-bob')).toBe(true);
    expect(await call(C, 'isUidOnline', 'p-nobody')).toBe(false);
    expect(await call(A, 'socketsOfUid', 'p-bob')).toEqual([B.id]);
    expect(sorted(await call(A, 'sockets', 'p-room'))).toEqual(sorted([B.id, C.id]));
    expect(await everyone(B)).toEqual(expect.arrayContaining([A.id, B.id, C.id]));
    expect(await call(B, 'socketCount')).toBe((await everyone(B)).length);
    expect(await call(A, 'socketCount', 'p-room')).toBe(2);
    expect(sorted(await call(A, 'uids'))).toEqual(expect.arrayContaining(['p-bob', 'p-carol']));
    expect(sorted(await call(A, 'uids', 'p-room'))).toEqual(['p-bob', 'p-carol']);
    expect(await call(B, 'uidCount', 'p-room')).toBe(2);
    expect(await call(C, 'groups')).toContain('p-room');
  });

  it('empties a group on every node (ungroup)', async () => {
    const [A, B, C] = await three();
    for (const x of [A, B, C]) expect(await call(B, 'joinGroup', x.id, 'u-room')).toBe(true);
    expect(await call(C, 'ungroup', 'u-room')).toBe(3);
    expect(await call(A, 'socketCount', 'u-room')).toBe(0);
    expect(await call(A, 'groups')).not.toContain('u-room');
    for (const x of [A, B, C]) expect(await call(A, 'groupsOfSocket', x.id)).toEqual([]);
    expect(await call(A, 'sendToGroup', 'u-room', 'gone')).toBe(0);
    expect(await call(A, 'ungroup', 'u-room')).toBe(0);
  });

  it('keeps sessions with their sockets, and gathers them from every node', async () => {
    const [A, B, C] = await three();
    expect(await call(A, 'setSession', B.id, { n: 1 })).toBe(true);
    expect(await call(C, 'updateSession', B.id, { m: 2 })).toBe(true);
    expect(await call(C, 'getSession', B.id)).toEqual({ n: 1, m: 2 });
    expect(await call(A, 'setSession', C.id, { c: true })).toBe(true);
    for (const x of [B, C]) expect(await call(A, 'joinGroup', x.id, 'e-room')).toBe(true);
    expect(await call(A, 'sessions', 'e-room')).toEqual({ [B.id]: { n: 1, m: 2 }, [C.id]: { c: true } });
    expect(Object.keys((await call(B, 'sessions')) as object)).toEqual(expect.arrayContaining([A.id, B.id, C.id]));
    expect(await call(A, 'getSession', 'nosuchnode.1')).toBe(null);
    // A patch with "__proto__" (an own key after JSON.parse) never reaches the prototype of the remote session.
    const patch = JSON.parse('{"name":"eve","__proto__":{"role":"admin"}}') as Record<string, unknown>;
    expect(await call(A, 'updateSession', C.id, patch)).toBe(true);
    expect((await C.ws.request('sessionProbe', undefined, 5_000)).data).toEqual({
      keys: ['c', 'name'],
      nullPrototype: true,
      role: null,
    });
  });

  it('enforces the groups cap and the name rules on the node that holds the socket', async () => {
    const [A, B] = await three();
    const cap = harness().maxGroups;
    const groups = Array.from({ length: cap }, (_, i) => `g-cap${i}`);
    for (const g of groups) expect(await call(A, 'joinGroup', B.id, g)).toBe(true);
    expect(await callError(A, 'joinGroup', B.id, 'g-one-too-many')).toBe('too_many_groups');
    expect(await callError(B, 'joinGroup', B.id, 'g-one-too-many')).toBe('too_many_groups');
    expect(await call(A, 'joinGroup', B.id, groups[0])).toBe(true); // already a member: not a new group
    expect(sorted(await call(A, 'groupsOfSocket', B.id))).toEqual(sorted(groups));
    // Lone surrogates are refused before anything crosses the adapter; U+FFFD is an ordinary name.
    expect(await callError(A, 'joinGroup', B.id, '\ud800room')).toBe('invalid_argument');
    expect(await callError(B, 'bindUid', A.id, 'u\udc00')).toBe('invalid_argument');
    expect(await callError(A, 'sendToGroup', '', 'x')).toBe('invalid_argument');
    expect(await call(A, 'leaveGroup', B.id, groups[0])).toBe(true);
    expect(await call(A, 'joinGroup', B.id, '\ufffdroom')).toBe(true);
    expect(await call(A, 'sendToGroup', '\ufffdroom', 'fffd')).toBe(1);
    expect(await B.ws.next()).toBe('fffd');
  });

  // Registered only where it applies (no test reported as skipped for a one-node adapter).
  if (cases.nodeLoss) {
    it('forgets a node that disappears, without waiting for it', async () => {
      const h = harness();
      if (h.kill === undefined) throw new Error('a harness for node loss must be able to kill a node');
      const [A, B, C] = await three();
      expect(await call(A, 'bindUid', C.id, 'k-dave')).toBe(true);
      for (const x of [B, C]) expect(await call(A, 'joinGroup', x.id, 'k-room')).toBe(true);
      await h.kill(C);
      // Sends don't wait for the dead node: they resolve with what the living ones wrote, well before the timeout.
      const started = Date.now();
      expect(await call(A, 'sendToSocket', C.id, 'lost')).toBe(0);
      expect(await call(A, 'sendToGroup', 'k-room', 'survivors')).toBe(1);
      expect(await B.ws.next()).toBe('survivors');
      expect(Date.now() - started).toBeLessThan(1_000);
      // Presence forgets its sockets (at once for node:cluster, within the TTL for Redis).
      await expect.poll(() => call(A, 'isUidOnline', 'k-dave'), { timeout: h.forgetWithin }).toBe(false);
      await expect.poll(() => call(A, 'sockets', 'k-room'), { timeout: h.forgetWithin }).toEqual([B.id]);
      expect(await call(A, 'isOnline', C.id)).toBe(false);
      expect(await call(B, 'sessions', 'k-room')).toEqual({ [B.id]: {} });
    });
  }
}
