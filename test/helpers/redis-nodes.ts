// Shared by the Redis adapter tests (not a test file itself): gateway nodes with a RedisAdapter over node-redis or
// ioredis, an admin client, and a check that what Redis stores is exactly the union of the nodes' own state.
import { createClient } from 'redis';
import { RedisAdapter, type Gateway, type GatewayOptions, type RedisAdapterOptions } from '../../src/gateway/index.js';
import { startGateway, withIdRoute } from '../gateway/helpers.js';
import { redisClient, type ClientKind } from './redis-client.js';
import type { RedisServer } from './redis-server.js';

export { redisClient, type ClientKind };

/** A gateway node on a free port with a RedisAdapter (closed by the gateway helpers' `cleanup()`). */
export async function redisNode(
  server: RedisServer,
  nodeId: string,
  kind: ClientKind,
  options: Omit<RedisAdapterOptions, 'client'> = {},
  gatewayOptions: Omit<GatewayOptions, 'adapter' | 'nodeId'> = {},
): Promise<Gateway & { adapter: RedisAdapter }> {
  const adapter = new RedisAdapter({ client: redisClient(server, kind), ...options });
  const gateway = withIdRoute(await startGateway({ heartbeat: false, ...gatewayOptions, nodeId, adapter }));
  return gateway as Gateway & { adapter: RedisAdapter };
}

/** A plain node-redis connection for inspecting Redis. */
export async function adminClient(server: RedisServer) {
  const client = createClient({ url: server.url, socket: { reconnectStrategy: () => 100 } });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export interface PresenceState {
  sockets: Record<string, string>;
  uids: Record<string, string[]>;
  groups: Record<string, string[]>;
  groupUids: Record<string, Record<string, number>>;
  socketGroups: Record<string, string[]>;
}

/** The nodes' own view: each socket's uid and groups, as the Redis presence should mirror it. */
export function truthOf(gateways: readonly Gateway[]): PresenceState {
  const state: PresenceState = { sockets: {}, uids: {}, groups: {}, groupUids: {}, socketGroups: {} };
  for (const g of gateways) {
    for (const s of g.node.values()) {
      state.sockets[s.id] = s.uid ?? '';
      if (s.uid !== null) (state.uids[s.uid] ??= []).push(s.id);
      if (s.groups.size > 0) state.socketGroups[s.id] = [...s.groups].sort();
      for (const group of s.groups) {
        (state.groups[group] ??= []).push(s.id);
        if (s.uid !== null) {
          const counts = (state.groupUids[group] ??= {});
          counts[s.uid] = (counts[s.uid] ?? 0) + 1;
        }
      }
    }
  }
  for (const list of [...Object.values(state.uids), ...Object.values(state.groups)]) list.sort();
  return state;
}

/** What Redis stores under `wsgate:{namespace}:`, in the same shape as `truthOf`. */
export async function storedPresence(
  admin: Awaited<ReturnType<typeof adminClient>>,
  namespace = 'default',
): Promise<PresenceState> {
  const p = `wsgate:{${namespace}}:`;
  const state: PresenceState = { sockets: {}, uids: {}, groups: {}, groupUids: {}, socketGroups: {} };
  state.sockets = (await admin.hGetAll(`${p}sockets`)) as Record<string, string>;
  for (const uid of await admin.sMembers(`${p}uids`)) state.uids[uid] = (await admin.sMembers(`${p}u:${uid}`)).sort();
  for (const group of await admin.sMembers(`${p}groups`)) {
    state.groups[group] = (await admin.sMembers(`${p}g:${group}`)).sort();
    const counts = (await admin.hGetAll(`${p}gu:${group}`)) as Record<string, string>;
    if (Object.keys(counts).length > 0)
      state.groupUids[group] = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)]));
  }
  for (const id of Object.keys(state.sockets)) {
    const groups = await admin.sMembers(`${p}sg:${id}`);
    if (groups.length > 0) state.socketGroups[id] = groups.sort();
  }
  return state;
}

/** Keys under the namespace that the presence of `truth` (plus the `nodes` registry) does not explain. */
export async function strayKeys(
  admin: Awaited<ReturnType<typeof adminClient>>,
  truth: PresenceState,
  namespace = 'default',
): Promise<string[]> {
  const p = `wsgate:{${namespace}}:`;
  const expected = new Set<string>([`${p}nodes`]);
  if (Object.keys(truth.sockets).length > 0) expected.add(`${p}sockets`);
  if (Object.keys(truth.uids).length > 0) expected.add(`${p}uids`);
  if (Object.keys(truth.groups).length > 0) expected.add(`${p}groups`);
  for (const uid of Object.keys(truth.uids)) expected.add(`${p}u:${uid}`);
  for (const group of Object.keys(truth.groups)) expected.add(`${p}g:${group}`);
  for (const group of Object.keys(truth.groupUids)) expected.add(`${p}gu:${group}`);
  for (const id of Object.keys(truth.socketGroups)) expected.add(`${p}sg:${id}`);
  for (const id of Object.keys(truth.sockets)) expected.add(`${p}n:${id.slice(0, id.lastIndexOf('.'))}`);
  return (await admin.keys(`${p}*`)).filter((key) => !expected.has(key)).sort();
}
