// What only the node:cluster adapter does (the adapter contract, contract.test.ts, covers the rest): a worker killed
// with SIGKILL leaves presence as soon as the primary sees it exit, and the primary forks a replacement that joins
// the cluster. A child process whose primary runs a ClusterHub with three workers on one port
// (test/helpers/cluster-app.ts); clients drive each worker's gateway through an RPC route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, TestClient } from '../../helpers.js';
import { ChildApp, stopAllApps } from '../../../helpers/child-app.js';
import type { RpcResult } from '../../../helpers/gateway-rpc.js';

interface Client {
  readonly ws: TestClient;
  readonly id: string;
  readonly node: string;
  readonly pid: number;
}

let app: ChildApp;
let port: number;
const all: Client[] = [];

async function connect(): Promise<Client> {
  const ws = await TestClient.open(`ws://127.0.0.1:${port}/ws`).catch((error: unknown) => {
    throw new Error(
      `connecting to the cluster failed: ${String(error)}; fixture events ${JSON.stringify(app.events)}; stderr:\n${app.errorOutput}`,
    );
  });
  const who = (await ws.request('whoami', undefined, 5_000)).data as { id: string; node: string; pid: number };
  const client = { ws, ...who };
  all.push(client);
  return client;
}

/** Runs a gateway method on the worker `client` is connected to. */
async function call(client: Client, method: string, ...args: unknown[]): Promise<unknown> {
  const reply = await client.ws.request('call', { method, args }, 5_000);
  const result = reply.data as RpcResult;
  if ('err' in result) throw new Error(`${method} failed on ${client.node}: ${result.err}: ${result.message}`);
  return result.ok;
}

/** Connects until there is a client on `count` distinct workers (round-robin makes it quick). */
async function clientsOnDistinctNodes(count: number, exclude: ReadonlySet<string> = new Set()): Promise<Client[]> {
  const byNode = new Map<string, Client>();
  for (let i = 0; i < 30 && byNode.size < count; i++) {
    const client = await connect();
    if (!exclude.has(client.node) && !byNode.has(client.node)) byNode.set(client.node, client);
  }
  if (byNode.size < count) throw new Error(`clients landed on ${byNode.size} workers only`);
  return [...byNode.values()];
}

beforeAll(async () => {
  // Port 0: the primary picks one free port and every worker shares it (no window for another process to take it).
  app = new ChildApp('../helpers/cluster-app.ts', { PORT: '0', WORKERS: '3', MAX_GROUPS: '3' });
  const listening = await app.waitEvents((e) => e.event === 'listening', 3);
  port = listening[0]!.port as number;
  expect(listening.every((e) => e.port === port)).toBe(true);
}, 30_000);

afterAll(async () => {
  await cleanup();
  await stopAllApps();
});

describe('node:cluster adapter: worker deaths', () => {
  it('a worker killed with SIGKILL leaves presence at once and is replaced', async () => {
    // One client to watch from, one on the worker we kill (with a uid and a group).
    const [watcher, victim] = await clientsOnDistinctNodes(2);
    expect(await call(watcher!, 'bindUid', victim!.id, 'dave')).toBe(true);
    expect(await call(watcher!, 'joinGroup', victim!.id, 'doomed')).toBe(true);
    expect(await call(watcher!, 'isUidOnline', 'dave')).toBe(true);
    const onVictim = all.filter((x) => x.node === victim!.node);
    const before = (await call(watcher!, 'socketCount')) as number;

    const killedAt = Date.now();
    process.kill(victim!.pid, 'SIGKILL');
    const [exit] = await app.waitEvents((e) => e.event === 'exit' && e.pid === victim!.pid);
    expect(exit).toMatchObject({ signal: 'SIGKILL', sockets: onVictim.length, restarting: true });
    // Presence is held by the primary, which learns of the death from the OS: no TTL to wait for.
    expect(await call(watcher!, 'isUidOnline', 'dave')).toBe(false);
    expect(await call(watcher!, 'socketCount')).toBe(before - onVictim.length);
    expect(await call(watcher!, 'groups')).not.toContain('doomed');
    expect(await call(watcher!, 'isOnline', victim!.id)).toBe(false);
    expect(await call(watcher!, 'sendToSocket', victim!.id, 'lost')).toBe(0);
    console.log(
      `cluster: killed worker's ${onVictim.length} sockets left presence ${Date.now() - killedAt} ms after SIGKILL`,
    );
    for (const x of onVictim) all.splice(all.indexOf(x), 1);

    // The primary forks a replacement; new connections reach it, and it is part of the cluster.
    const listening = await app.waitEvents((e) => e.event === 'listening', 4, 20_000);
    expect(listening[3]!.port).toBe(port);
    const known = new Set(all.map((x) => x.node));
    known.add(victim!.node);
    const [fresh] = await clientsOnDistinctNodes(1, known);
    expect(fresh!.node).not.toBe(victim!.node);
    expect(await call(watcher!, 'sendToSocket', fresh!.id, 'welcome')).toBe(1);
    expect(await fresh!.ws.next()).toBe('welcome');
    expect(await call(fresh!, 'socketCount')).toBe(all.length);
  }, 30_000);
});
