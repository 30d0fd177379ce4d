import type { GatewayApi } from '../core/gateway-api.js';
import { JsonFields } from './body.js';
import type { HttpContext, Router, HttpRouteHandler } from './router.js';

/*
 * The push API: the gateway's operations over HTTP for application servers (PHP, Python, cron jobs...) that are not
 * WebSocket clients. Every route needs `Authorization: Bearer <apiKey>` (checked before routing, by the caller).
 *
 *   POST {prefix}/sendToSocket  {socketId | [socketId...], message}      → {ok, delivered}
 *   POST {prefix}/sendToUid     {uid | [uid...], message, exclude?}      → {ok, delivered}
 *   POST {prefix}/sendToGroup   {group | [group...], message, exclude?}  → {ok, delivered}
 *   POST {prefix}/sendToAll     {message, exclude?, onlyBound?}          → {ok, delivered}
 *   POST {prefix}/bind          {socketId, uid}                          → {ok}   false: no such socket
 *   POST {prefix}/unbind        {socketId, uid?}                         → {ok}   false: nothing was unbound
 *   POST {prefix}/join          {socketId, group}                        → {ok}   false: no such socket
 *   POST {prefix}/leave         {socketId, group}                        → {ok}   false: was not a member
 *   POST {prefix}/ungroup       {group}                                  → {ok, removed}
 *   POST {prefix}/setSession    {socketId, session}                      → {ok}   false: no such socket
 *   POST {prefix}/updateSession {socketId, session}                      → {ok}   (shallow merge)
 *   POST {prefix}/close         {socketId, code?, reason?}               → {ok}   false: was not open
 *   POST {prefix}/history       {stream, since?: {epoch, offset}, limit?} → {epoch, top, complete, entries}
 *        entries: [{offset, message}] (binary: {offset, message: base64, binary: true}); 409 history_off
 *   GET  {prefix}/sockets/:socketId       → {socketId, online, uid, groups, session}
 *   GET  {prefix}/uids                    → {count, uids}
 *   GET  {prefix}/uids/:uid               → {uid, online, sockets}
 *   GET  {prefix}/uids/:uid/online        → {uid, online}
 *   GET  {prefix}/groups                  → {count, groups}
 *   GET  {prefix}/groups/:group           → {group, count, sockets, uids}
 *
 * `message` is any JSON value: a string is sent as that text, anything else as its JSON text (one text frame).
 * `exclude` is a socket id or a list of them.
 */

/** Registers the API routes under `prefix` (e.g. `/api`). */
export function addApiRoutes(router: Router, prefix: string): void {
  const post = (name: string, handler: (gateway: GatewayApi, body: JsonFields) => Promise<unknown>): void => {
    router.post(`${prefix}/${name}`, async (ctx: HttpContext) =>
      handler(ctx.gateway, JsonFields.from(await ctx.json())),
    );
  };
  const get = (path: string, handler: HttpRouteHandler): void => void router.get(`${prefix}${path}`, handler);

  post('sendToSocket', async (gateway, body) => {
    return sent(await gateway.sendToSocket(body.stringOrList('socketId'), messageOf(body)));
  });
  post('sendToUid', async (gateway, body) => {
    const uid = body.names('uid');
    return sent(await gateway.sendToUid(uid, messageOf(body), { exclude: body.optionalStringList('exclude') }));
  });
  post('sendToGroup', async (gateway, body) => {
    const group = body.names('group');
    return sent(await gateway.sendToGroup(group, messageOf(body), { exclude: body.optionalStringList('exclude') }));
  });
  post('sendToAll', async (gateway, body) => {
    const message = messageOf(body);
    const exclude = body.optionalStringList('exclude');
    return sent(await gateway.sendToAll(message, { exclude, onlyBound: body.optionalBoolean('onlyBound') }));
  });
  post('bind', async (gateway, body) => ok(await gateway.bindUid(body.string('socketId'), body.name('uid'))));
  post('unbind', async (gateway, body) => {
    const socketId = body.string('socketId');
    return ok(await gateway.unbindUid(socketId, body.has('uid') ? body.name('uid') : undefined));
  });
  post('join', async (gateway, body) => ok(await gateway.joinGroup(body.string('socketId'), body.name('group'))));
  post('leave', async (gateway, body) => ok(await gateway.leaveGroup(body.string('socketId'), body.name('group'))));
  post('ungroup', async (gateway, body) => ({ ok: true, removed: await gateway.ungroup(body.name('group')) }));
  post('setSession', async (gateway, body) =>
    ok(await gateway.setSession(body.string('socketId'), body.object('session'))),
  );
  post('updateSession', async (gateway, body) =>
    ok(await gateway.updateSession(body.string('socketId'), body.object('session'))),
  );
  post('close', async (gateway, body) => {
    const socketId = body.string('socketId');
    const code = body.optionalInteger('code') ?? 1000;
    const reason = body.optionalString('reason') ?? '';
    return ok(await gateway.closeSocket(socketId, code, reason));
  });
  post('history', async (gateway, body) => {
    const since = body.has('since') ? body.object('since') : undefined;
    const limit = body.optionalInteger('limit');
    const page = await gateway.history(body.string('stream'), {
      ...(since === undefined ? {} : { since: since as { epoch: string; offset: number } }),
      ...(limit === undefined ? {} : { limit }),
    });
    return {
      epoch: page.epoch,
      top: page.top,
      complete: page.complete,
      entries: page.entries.map(({ offset, payload }) =>
        typeof payload.data === 'string'
          ? { offset, message: payload.data }
          : { offset, message: Buffer.from(payload.data).toString('base64'), binary: true },
      ),
    };
  });

  get('/sockets/:socketId', async ({ gateway, params }) => {
    const socketId = params.socketId!;
    const [online, uid, groups, session] = await Promise.all([
      gateway.isOnline(socketId),
      gateway.uidOfSocket(socketId),
      gateway.groupsOfSocket(socketId),
      gateway.getSession(socketId),
    ]);
    return { socketId, online, uid, groups, session };
  });
  get('/uids', async ({ gateway }) => {
    const uids = await gateway.uids();
    return { count: uids.length, uids };
  });
  get('/uids/:uid', async ({ gateway, params }) => {
    const sockets = await gateway.socketsOfUid(params.uid!);
    return { uid: params.uid, online: sockets.length > 0, sockets };
  });
  get('/uids/:uid/online', async ({ gateway, params }) => ({
    uid: params.uid,
    online: await gateway.isUidOnline(params.uid!),
  }));
  get('/groups', async ({ gateway }) => {
    const groups = await gateway.groups();
    return { count: groups.length, groups };
  });
  get('/groups/:group', async ({ gateway, params }) => {
    const group = params.group!;
    const [sockets, uids] = await Promise.all([gateway.sockets(group), gateway.uids(group)]);
    return { group, count: sockets.length, sockets, uids };
  });
}

/** The `message` field as what goes on the wire: a string as is, any other JSON value as its JSON text. */
function messageOf(body: JsonFields): string {
  const message = body.value('message');
  return typeof message === 'string' ? message : JSON.stringify(message);
}

function sent(delivered: number): { ok: true; delivered: number } {
  return { ok: true, delivered };
}

function ok(done: boolean): { ok: boolean } {
  return { ok: done };
}
