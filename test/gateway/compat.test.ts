// Every GatewayWorker Lib\Gateway method and every GMWebSockets function, through the wsgate call that
// docs/gateway.md maps it to. Fixture: sockets a and b bound to uid "ada", c bound to "bob", d unbound;
// group "g" = {a, c}; a has a session.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/index.js';
import { cleanup, idOf, open, startGateway, waitFor, withIdRoute, type TestClient } from './helpers.js';

let gw: Gateway;
let clients: Record<'a' | 'b' | 'c' | 'd', TestClient>;
let ids: Record<'a' | 'b' | 'c' | 'd', string>;

beforeEach(async () => {
  gw = withIdRoute(await startGateway());
  const [a, b, c, d] = await Promise.all([open(gw), open(gw), open(gw), open(gw)]);
  clients = { a: a!, b: b!, c: c!, d: d! };
  ids = { a: await idOf(a!), b: await idOf(b!), c: await idOf(c!), d: await idOf(d!) };
  await gw.bindUid(ids.a, 'ada');
  await gw.bindUid(ids.b, 'ada');
  await gw.bindUid(ids.c, 'bob');
  await gw.joinGroup(ids.a, 'g');
  await gw.joinGroup(ids.c, 'g');
  await gw.setSession(ids.a, { name: 'Ada' });
});
afterEach(cleanup);

/** Checks that exactly the named fixture clients receive `message` next. */
async function expectReceivers(message: unknown, names: string[]): Promise<void> {
  const got: string[] = [];
  for (const [name, client] of Object.entries(clients)) {
    try {
      expect(await client.next(names.includes(name) ? 1_000 : 40)).toEqual(message);
      got.push(name);
    } catch {
      // silent
    }
  }
  expect(got.sort()).toEqual([...names].sort());
}

describe('GatewayWorker Lib\\Gateway → wsgate', () => {
  it('sendToAll($message) → sendToAll(message)', async () => {
    await gw.sendToAll('m1');
    await expectReceivers('m1', ['a', 'b', 'c', 'd']);
  });

  it('sendToAll($message, $client_id_array, $exclude_client_id) → sendToSocket(list without excluded) / sendToAll(m, {exclude})', async () => {
    const list = [ids.a, ids.b, ids.c];
    const exclude = [ids.b];
    await gw.sendToSocket(
      list.filter((id) => !exclude.includes(id)),
      'm2',
    );
    await expectReceivers('m2', ['a', 'c']);
    await gw.sendToAll('m3', { exclude: ids.d });
    await expectReceivers('m3', ['a', 'b', 'c']);
  });

  it('sendToClient($client_id, $message) → sendToSocket(id, message)', async () => {
    await gw.sendToSocket(ids.d, 'm4');
    await expectReceivers('m4', ['d']);
  });

  it('sendToUid($uid | $uids, $message) → sendToUid(uid | uids, message)', async () => {
    await gw.sendToUid('ada', 'm5');
    await expectReceivers('m5', ['a', 'b']);
    await gw.sendToUid(['ada', 'bob'], 'm6');
    await expectReceivers('m6', ['a', 'b', 'c']);
  });

  it('sendToGroup($group | $groups, $message, $exclude_client_id) → sendToGroup(group | groups, message, {exclude})', async () => {
    await gw.sendToGroup('g', 'm7', { exclude: ids.c });
    await expectReceivers('m7', ['a']);
    await gw.sendToGroup(['g'], 'm8');
    await expectReceivers('m8', ['a', 'c']);
  });

  it('isOnline($client_id) → isOnline(id)', async () => {
    expect(await gw.isOnline(ids.a)).toBe(true);
    expect(await gw.isOnline(`${gw.nodeId}.zzzz`)).toBe(false);
  });

  it('isUidOnline($uid) → isUidOnline(uid)', async () => {
    expect(await gw.isUidOnline('ada')).toBe(true);
    expect(await gw.isUidOnline('carol')).toBe(false);
  });

  it('getAllClientIdCount() → socketCount()', async () => {
    expect(await gw.socketCount()).toBe(4);
  });

  it('getClientIdCountByGroup($group) → socketCount(group)', async () => {
    expect(await gw.socketCount('g')).toBe(2);
  });

  it('getAllUidCount() → uidCount()', async () => {
    expect(await gw.uidCount()).toBe(2);
  });

  it('getUidCountByGroup($group) → uidCount(group)', async () => {
    expect(await gw.uidCount('g')).toBe(2);
  });

  it('getClientIdListByGroup($group) → sockets(group)', async () => {
    expect((await gw.sockets('g')).sort()).toEqual([ids.a, ids.c].sort());
  });

  it('getAllClientIdList() → sockets()', async () => {
    expect((await gw.sockets()).sort()).toEqual(Object.values(ids).sort());
  });

  it('getClientIdByUid($uid) → socketsOfUid(uid)', async () => {
    expect((await gw.socketsOfUid('ada')).sort()).toEqual([ids.a, ids.b].sort());
  });

  it('getUidListByGroup($group) → uids(group)', async () => {
    expect((await gw.uids('g')).sort()).toEqual(['ada', 'bob']);
  });

  it('getAllUidList() → uids()', async () => {
    expect((await gw.uids()).sort()).toEqual(['ada', 'bob']);
  });

  it('getUidByClientId($client_id) → uidOfSocket(id)', async () => {
    expect(await gw.uidOfSocket(ids.c)).toBe('bob');
    expect(await gw.uidOfSocket(ids.d)).toBeNull();
  });

  it('getAllGroupIdList() → groups()', async () => {
    expect(await gw.groups()).toEqual(['g']);
  });

  it('getAllClientSessions() → sessions()', async () => {
    expect(await gw.sessions()).toEqual({ [ids.a]: { name: 'Ada' }, [ids.b]: {}, [ids.c]: {}, [ids.d]: {} });
  });

  it('getClientSessionsByGroup($group) → sessions(group)', async () => {
    expect(await gw.sessions('g')).toEqual({ [ids.a]: { name: 'Ada' }, [ids.c]: {} });
  });

  it('setSession($client_id, $session) → setSession(id, session)', async () => {
    await gw.setSession(ids.a, { other: 1 });
    expect(await gw.getSession(ids.a)).toEqual({ other: 1 });
  });

  it('updateSession($client_id, $session) → updateSession(id, patch)', async () => {
    await gw.updateSession(ids.a, { age: 36 });
    expect(await gw.getSession(ids.a)).toEqual({ name: 'Ada', age: 36 });
  });

  it('getSession($client_id) → getSession(id)', async () => {
    expect(await gw.getSession(ids.a)).toEqual({ name: 'Ada' });
  });

  it('closeClient($client_id[, $message]) → sendToSocket(id, message) then closeSocket(id)', async () => {
    await gw.sendToSocket(ids.d, 'bye');
    expect(await gw.closeSocket(ids.d)).toBe(true);
    expect(await clients.d.next()).toBe('bye');
    expect((await clients.d.closed).code).toBe(1000);
    await waitFor(async () => !(await gw.isOnline(ids.d)));
  });

  it('bindUid($client_id, $uid) → bindUid(id, uid)', async () => {
    await gw.bindUid(ids.d, 'dan');
    expect(await gw.uidOfSocket(ids.d)).toBe('dan');
  });

  it('unbindUid($client_id, $uid) → unbindUid(id, uid)', async () => {
    expect(await gw.unbindUid(ids.b, 'ada')).toBe(true);
    expect(await gw.socketsOfUid('ada')).toEqual([ids.a]);
  });

  it('joinGroup($client_id, $group) → joinGroup(id, group)', async () => {
    await gw.joinGroup(ids.d, 'g');
    expect(await gw.socketCount('g')).toBe(3);
  });

  it('leaveGroup($client_id, $group) → leaveGroup(id, group)', async () => {
    await gw.leaveGroup(ids.a, 'g');
    expect(await gw.sockets('g')).toEqual([ids.c]);
  });

  it('ungroup($group) → ungroup(group)', async () => {
    expect(await gw.ungroup('g')).toBe(2);
    expect(await gw.groups()).toEqual([]);
  });
});

describe('GMWebSockets → wsgate (client_id there = uid here; socket_id = socket id)', () => {
  it('send_to_all / send_to_all_sockets(message) → sendToAll(message)', async () => {
    await gw.sendToAll('all');
    await expectReceivers('all', ['a', 'b', 'c', 'd']);
  });

  it('send_to_all_clients(message) → sendToAll(message, {onlyBound: true})', async () => {
    await gw.sendToAll('bound', { onlyBound: true });
    await expectReceivers('bound', ['a', 'b', 'c']);
  });

  it('send_to_socket(socket_id, message) → sendToSocket(id, message)', async () => {
    await gw.sendToSocket(ids.b, 'sock');
    await expectReceivers('sock', ['b']);
  });

  it('send_to_client(client_id, message) → sendToUid(uid, message)', async () => {
    await gw.sendToUid('bob', 'client');
    await expectReceivers('client', ['c']);
  });

  it('join_group(client_id, group) → joinGroup for each of socketsOfUid(uid)', async () => {
    for (const id of await gw.socketsOfUid('ada')) await gw.joinGroup(id, 'h');
    expect((await gw.sockets('h')).sort()).toEqual([ids.a, ids.b].sort());
  });

  it('leave_group(client_id, group) → leaveGroup for each of socketsOfUid(uid)', async () => {
    for (const id of await gw.socketsOfUid('ada')) await gw.leaveGroup(id, 'g');
    expect(await gw.sockets('g')).toEqual([ids.c]);
  });

  it('get_clientcount_bygroup(group) → uidCount(group)', async () => {
    await gw.joinGroup(ids.b, 'g'); // a second socket of ada: still two clients
    expect(await gw.uidCount('g')).toBe(2);
  });

  it('send_to_group(group, message) → sendToGroup(group, message)', async () => {
    await gw.sendToGroup('g', 'grp');
    await expectReceivers('grp', ['a', 'c']);
  });

  it('is_socket_id_online(socket_id) → isOnline(id)', async () => {
    expect(await gw.isOnline(ids.d)).toBe(true);
  });

  it('is_client_id_online(client_id) → isUidOnline(uid)', async () => {
    expect(await gw.isUidOnline('bob')).toBe(true);
    expect(await gw.isUidOnline('nobody')).toBe(false);
  });

  it('set_session(socket_id, session) → setSession(id, session)', async () => {
    expect(await gw.setSession(ids.d, { x: 1 })).toBe(true);
    expect(await gw.getSession(ids.d)).toEqual({ x: 1 });
  });

  it('get_session(socket_id) → getSession(id)', async () => {
    expect(await gw.getSession(ids.a)).toEqual({ name: 'Ada' });
  });
});
