// The demo route set the browser demo depends on: bind, join, leave, sendToUid, sendToGroup, sendToAll, whoami, and
// the exact shape of the pushed chat messages.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installDemoRoutes, type Gateway } from '../../../src/gateway/index.js';
import { cleanup, open, startGateway, type TestClient } from '../helpers.js';

let gw: Gateway;
let ada: TestClient;
let bob: TestClient;
let anon: TestClient;

beforeEach(async () => {
  gw = await startGateway();
  installDemoRoutes(gw);
  [ada, bob, anon] = await Promise.all([open(gw), open(gw), open(gw)]);
});
afterEach(cleanup);

describe('demo routes', () => {
  it('bind {uid} → {uid, socketId}; whoami → {socketId, uid, groups, session}', async () => {
    const me = await anon.request('whoami');
    const socketId = (me.data as { socketId: string }).socketId;
    expect(me).toEqual({ type: 'whoami', id: 1, data: { socketId, uid: null, groups: [], session: {} } });
    expect(await ada.request('bind', { uid: 'ada' })).toMatchObject({
      type: 'bind',
      data: { uid: 'ada', socketId: expect.any(String) },
    });
    expect(await gw.isUidOnline('ada')).toBe(true);
    await ada.request('join', { group: 'lobby' });
    expect((await ada.request('whoami')).data).toMatchObject({ uid: 'ada', groups: ['lobby'], session: {} });
  });

  it('join / leave {group} → {group, count}', async () => {
    expect((await ada.request('join', { group: 'lobby' })).data).toEqual({ group: 'lobby', count: 1 });
    expect((await bob.request('join', { group: 'lobby' })).data).toEqual({ group: 'lobby', count: 2 });
    expect((await ada.request('leave', { group: 'lobby' })).data).toEqual({ group: 'lobby', count: 1 });
  });

  it('sendToUid pushes {"type":"chat","data":{from, to:{uid}, text, at}} to every socket of the uid', async () => {
    await ada.request('bind', { uid: 'ada' });
    await bob.request('bind', { uid: 'bob' });
    const before = Date.now();
    const reply = await ada.request('sendToUid', { uid: 'bob', text: 'hi bob' });
    expect(reply.data).toEqual({ delivered: 1 });
    const push = await bob.json();
    expect(push).toEqual({
      type: 'chat',
      data: { from: 'ada', to: { uid: 'bob' }, text: 'hi bob', at: expect.any(Number) },
    });
    const at = (push.data as { at: number }).at;
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect(await anon.silentFor(30)).toBe(true);
  });

  it('sendToGroup pushes to the group (sender included); from is the socket id when unbound', async () => {
    await anon.request('join', { group: 'g' });
    await bob.request('join', { group: 'g' });
    const anonId = ((await anon.request('whoami')).data as { socketId: string }).socketId;
    expect((await anon.request('sendToGroup', { group: 'g', text: 'hello g' })).data).toEqual({ delivered: 2 });
    const expected = {
      type: 'chat',
      data: { from: anonId, to: { group: 'g' }, text: 'hello g', at: expect.any(Number) },
    };
    expect(await bob.json()).toEqual(expected);
    expect(await anon.json()).toEqual(expected);
    expect(await ada.silentFor(30)).toBe(true);
  });

  it('sendToAll pushes to everyone with to: {all: true}', async () => {
    await bob.request('bind', { uid: 'bob' });
    expect((await bob.request('sendToAll', { text: 'all hands' })).data).toEqual({ delivered: 3 });
    for (const c of [ada, bob, anon]) {
      expect(await c.json()).toEqual({
        type: 'chat',
        data: { from: 'bob', to: { all: true }, text: 'all hands', at: expect.any(Number) },
      });
    }
  });

  it('bad arguments are invalid_argument errors', async () => {
    for (const [type, data] of [
      ['bind', {}],
      ['bind', { uid: '' }],
      ['join', { group: 7.5e400 }],
      ['sendToAll', { text: '' }],
      ['sendToAll', { text: 'x'.repeat(2001) }],
      ['sendToUid', { uid: 'x', text: 5 }],
      ['sendToGroup', null],
    ] as const) {
      const reply = await ada.request(type, data);
      expect(reply).toMatchObject({ type: 'error', error: { code: 'invalid_argument' } });
    }
  });
});
