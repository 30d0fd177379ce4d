import { describe, expect, it } from 'vitest';
import type { PresenceChange } from '../../../src/gateway/adapters/adapter.js';
import { TOO_MANY_GROUPS } from '../../../src/gateway/adapters/adapter.js';
import { AuthTimer } from '../../../src/gateway/core/auth-timer.js';
import { LocalNode } from '../../../src/gateway/core/local-node.js';
import { createCounters } from '../../../src/gateway/core/stats.js';
import { FakeClock, openSocket } from '../kit.js';

function setup(maxGroups = 128) {
  const counters = createCounters();
  const changes: PresenceChange[] = [];
  const clock = new FakeClock();
  const expired: string[] = [];
  const deadlines = new AuthTimer(1000, (s) => expired.push(s.id), clock);
  const node = new LocalNode('n1', counters, (change) => void changes.push(change), maxGroups, deadlines);
  const open = (uid?: string) => {
    const opened = openSocket({ counters, uid });
    void node.add(opened.socket);
    return opened;
  };
  return { node, counters, changes, clock, deadlines, expired, open };
}

describe('LocalNode (fake transports)', () => {
  it('indexes sockets by uid and group, mirrored on each socket, and reports each change', async () => {
    const { node, changes, open } = setup();
    const a = open('alice');
    const b = open();
    expect(await node.execute({ op: 'bindUid', socketId: b.socket.id, uid: 'bob' })).toBe(true);
    expect(await node.execute({ op: 'joinGroup', socketId: a.socket.id, group: 'room' })).toBe(true);
    expect(await node.execute({ op: 'joinGroup', socketId: b.socket.id, group: 'room' })).toBe(true);
    expect(node.socketsOfUid('alice')).toEqual([a.socket.id]);
    expect(node.sockets('room').sort()).toEqual([a.socket.id, b.socket.id].sort());
    expect(node.uids('room').sort()).toEqual(['alice', 'bob']);
    expect([...a.socket.groups]).toEqual(['room']);
    expect(b.socket.uid).toBe('bob');
    expect(changes.map((c) => c.type)).toEqual(['connect', 'bind', 'connect', 'bind', 'join', 'join']);

    void node.remove(a.socket);
    expect(node.isUidOnline('alice')).toBe(false);
    expect(node.sockets('room')).toEqual([b.socket.id]);
    expect(changes.at(-1)).toEqual({ type: 'disconnect', socketId: a.socket.id, uid: 'alice', groups: ['room'] });
  });

  it('rebinding replaces the uid; unbind only the given uid', async () => {
    const { node, open } = setup();
    const { socket } = open('u1');
    await node.execute({ op: 'bindUid', socketId: socket.id, uid: 'u2' });
    expect(node.isUidOnline('u1')).toBe(false);
    expect(await node.execute({ op: 'unbindUid', socketId: socket.id, uid: 'u1' })).toBe(false);
    expect(await node.execute({ op: 'unbindUid', socketId: socket.id, uid: 'u2' })).toBe(true);
    expect(node.uidCount()).toBe(0);
  });

  it('refuses a join over maxGroupsPerSocket (but re-joining a group is fine)', async () => {
    const { node, open } = setup(2);
    const { socket } = open();
    await node.execute({ op: 'joinGroup', socketId: socket.id, group: 'g1' });
    await node.execute({ op: 'joinGroup', socketId: socket.id, group: 'g2' });
    expect(await node.execute({ op: 'joinGroup', socketId: socket.id, group: 'g2' })).toBe(true);
    expect(await node.execute({ op: 'joinGroup', socketId: socket.id, group: 'g3' })).toBe(TOO_MANY_GROUPS);
  });

  it('delivers to an audience framed once, skipping exclusions, and counts writes and drops', () => {
    const { node, counters, open } = setup();
    const a = open('u');
    const b = open('u');
    const c = open();
    const payload = { data: '{"hi":1}', binary: false };
    expect(node.deliver({ kind: 'all' }, payload, [c.socket.id])).toBe(2);
    expect(a.transport.sent).toEqual(['prepared:{"hi":1}']);
    expect(node.deliver({ kind: 'all', onlyBound: true }, payload, [])).toBe(2);
    expect(c.transport.sent).toEqual([]);
    b.transport.result = 'dropped';
    expect(node.deliver({ kind: 'uids', uids: ['u', 'u'] }, payload, [])).toBe(1);
    expect(counters).toMatchObject({ messagesOut: 5, messagesDropped: 1 });
    expect(node.sendTo([a.socket.id, a.socket.id, 'n1.404'], payload)).toBe(1);
  });

  it('sends to a socket in several groups once', async () => {
    const { node, open } = setup();
    const { socket, transport } = open();
    await node.execute({ op: 'joinGroup', socketId: socket.id, group: 'g1' });
    await node.execute({ op: 'joinGroup', socketId: socket.id, group: 'g2' });
    expect(node.deliver({ kind: 'groups', groups: ['g1', 'g2'] }, { data: 'x', binary: false }, [])).toBe(1);
    expect(transport.sent).toEqual(['x']);
  });

  it('sessions: copies out, replace and shallow merge without prototype keys', async () => {
    const { node, open } = setup();
    const { socket } = open();
    await node.execute({ op: 'setSession', socketId: socket.id, session: { a: 1 } });
    await node.execute({
      op: 'updateSession',
      socketId: socket.id,
      patch: JSON.parse('{"b":2,"__proto__":{"x":1}}') as Record<string, unknown>,
    });
    const copy = await node.execute({ op: 'getSession', socketId: socket.id });
    expect({ ...copy }).toEqual({ a: 1, b: 2 });
    copy!.a = 99;
    expect(socket.session.a).toBe(1);
  });

  it('close: only an open socket, with the given code', async () => {
    const { node, open } = setup();
    const { socket, transport } = open();
    expect(await node.execute({ op: 'close', socketId: socket.id, code: 4100, reason: 'bye' })).toBe(true);
    expect(transport.closed).toEqual({ code: 4100, reason: 'bye' });
    expect(await node.execute({ op: 'close', socketId: socket.id, code: 4100, reason: 'bye' })).toBe(false);
  });

  it('ungroup empties a group and reports each leave', async () => {
    const { node, changes, open } = setup();
    const a = open();
    const b = open();
    await node.execute({ op: 'joinGroup', socketId: a.socket.id, group: 'g' });
    await node.execute({ op: 'joinGroup', socketId: b.socket.id, group: 'g' });
    expect(await node.ungroup('g')).toBe(2);
    expect(node.groups()).toEqual([]);
    expect(a.socket.groups.size).toBe(0);
    expect(changes.filter((c) => c.type === 'leave')).toHaveLength(2);
  });

  it('binding a uid, or leaving, stops the auth deadline (fake clock)', async () => {
    const { node, clock, deadlines, expired, open } = setup();
    const a = open();
    const b = open();
    const c = open();
    for (const s of [a, b, c]) deadlines.start(s.socket);
    await node.execute({ op: 'bindUid', socketId: a.socket.id, uid: 'u' });
    void node.remove(b.socket);
    expect(clock.pending).toBe(1);
    clock.advance(1000);
    expect(expired).toEqual([c.socket.id]);
    expect(c.socket.authTimer).toBeNull();
  });

  it('a presence listener that throws leaves the node updated and rejects the command', async () => {
    const node = new LocalNode(
      'n1',
      createCounters(),
      () => {
        throw new Error('listener');
      },
      128,
    );
    const { socket } = openSocket();
    await expect(node.add(socket)).rejects.toThrow('listener');
    expect(node.get(socket.id)).toBe(socket);
    await expect(node.execute({ op: 'joinGroup', socketId: socket.id, group: 'g' })).rejects.toThrow('listener');
    expect(node.sockets('g')).toEqual([socket.id]);
  });
});
