// A wsgate app module: run it with `npx wsgate serve examples/chat-app/app.mjs --api-key secret`.
// What GatewayWorker users write in Events.php and their HTTP API, and nothing else: wsgate serve does the rest
// (listening, heartbeat, rate limit, origins, /status, /metrics, --workers, --redis, TLS). Tested by
// examples/chat-app/app.test.ts.
import { defineApp, GatewayError } from 'wsgate/gateway';

const ROOM = /^[a-z0-9-]{1,32}$/;

export default defineApp({
  // Gateway options this app wants; flags, WSGATE_* variables and wsgate.config.json override them.
  config: {
    heartbeat: { interval: 20_000 },
    maxMessageSize: 16 * 1024,
  },

  events: {
    connect(socket) {
      socket.send({ type: 'welcome', data: { id: socket.id } });
    },
    async close(socket, _code, _reason, gateway) {
      for (const room of socket.groups) await gateway.sendToGroup(room, { type: 'left', data: { id: socket.id } });
    },
  },

  // JSON routes: a client sends {"type":"join","id":1,"data":{"room":"lobby"}} and gets {"type":"join","id":1,...}.
  routes: {
    async join({ socket, data, gateway }) {
      const room = roomOf(data);
      await gateway.joinGroup(socket.id, room);
      await gateway.sendToGroup(room, { type: 'joined', data: { room, id: socket.id } }, { exclude: socket.id });
      return { room, members: await gateway.socketCount(room) };
    },
    async say({ socket, data, gateway }) {
      const room = roomOf(data);
      const text = typeof data?.text === 'string' ? data.text.slice(0, 500) : '';
      if (!socket.groups.has(room)) throw new GatewayError('not_in_room', `join ${room} first`);
      return { delivered: await gateway.sendToGroup(room, { type: 'said', data: { room, from: socket.id, text } }) };
    },
  },

  // The app's push API, under /api and behind the API key: POST /api/rooms/lobby/notice {"text":"..."}.
  api: {
    async 'POST /rooms/:room/notice'({ params, json, gateway }) {
      const body = await json();
      const text = typeof body?.text === 'string' ? body.text : '';
      return { delivered: await gateway.sendToGroup(params.room, { type: 'notice', data: { text } }) };
    },
  },

  // Public HTTP routes.
  http: {
    'GET /health': () => ({ ok: true }),
  },

  // Every second, the time to the sockets in the "clock" room: once per deployment (sendToGroup reaches every
  // node), not once per worker.
  timers: {
    clock: {
      every: 1_000,
      scope: 'cluster',
      run: (gateway) => gateway.sendToGroup('clock', { type: 'clock', data: Date.now() }),
    },
  },
});

function roomOf(data) {
  const room = data?.room;
  if (typeof room !== 'string' || !ROOM.test(room)) throw new GatewayError('bad_room', 'room: 1-32 of a-z 0-9 -');
  return room;
}
