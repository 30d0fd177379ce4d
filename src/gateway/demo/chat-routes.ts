import { ErrorCode, GatewayError } from '../core/errors.js';
import type { GatewayApi, RouteContext } from '../core/gateway-api.js';
import { createSession } from '../core/session.js';
import type { GroupName, Session, SocketId, Uid } from '../core/types.js';

/** Longest chat text the demo routes accept. */
export const MAX_CHAT_TEXT = 2_000;

/** Where a chat message was sent: exactly one of the keys. */
export type ChatTarget =
  | {
      /** Sent to this uid's sockets. */
      readonly uid: Uid;
    }
  | {
      /** Sent to this group's members. */
      readonly group: GroupName;
    }
  | {
      /** Sent to everyone. */
      readonly all: true;
    };

/** The push the demo routes send: `{"type":"chat","data":ChatMessage}`. The browser demo depends on this shape. */
export interface ChatMessage {
  /** The sender's uid if bound, else its socket id. */
  readonly from: Uid | SocketId;
  /** Who it was sent to. */
  readonly to: ChatTarget;
  /** The message (at most 2,000 characters). */
  readonly text: string;
  /** Server time of sending, epoch ms. */
  readonly at: number;
}

/**
 * Registers the demo chat routes (see docs/gateway.md, "Demo routes"):
 *
 * | type          | data            | reply data                          |
 * |---------------|-----------------|-------------------------------------|
 * | `bind`        | `{uid}`         | `{uid, socketId}`                   |
 * | `join`        | `{group}`       | `{group, count}` (sockets in group) |
 * | `leave`       | `{group}`       | `{group, count}`                    |
 * | `sendToUid`   | `{uid, text}`   | `{delivered}`                       |
 * | `sendToGroup` | `{group, text}` | `{delivered}`                       |
 * | `sendToAll`   | `{text}`        | `{delivered}`                       |
 * | `whoami`      | —               | `{socketId, uid, groups, session}`  |
 *
 * The sends push `{"type":"chat","data":{from, to, text, at}}` to their audience, sender included when in it.
 * There is no authorization here: anyone may bind any uid. It is a demo.
 */
export function installDemoRoutes(gateway: GatewayApi): void {
  gateway.route('bind', async ({ gateway: gw, socket, data }) => {
    const uid = field(data, 'uid');
    await gw.bindUid(socket.id, uid);
    return { uid: socket.uid, socketId: socket.id };
  });

  gateway.route('join', async ({ gateway: gw, socket, data }) => {
    const group = field(data, 'group');
    await gw.joinGroup(socket.id, group);
    return { group, count: await gw.socketCount(group) };
  });

  gateway.route('leave', async ({ gateway: gw, socket, data }) => {
    const group = field(data, 'group');
    await gw.leaveGroup(socket.id, group);
    return { group, count: await gw.socketCount(group) };
  });

  gateway.route('sendToUid', async (ctx) => {
    const uid = field(ctx.data, 'uid');
    const delivered = await ctx.gateway.sendToUid(uid, chat(ctx, { uid }));
    return { delivered };
  });

  gateway.route('sendToGroup', async (ctx) => {
    const group = field(ctx.data, 'group');
    const delivered = await ctx.gateway.sendToGroup(group, chat(ctx, { group }));
    return { delivered };
  });

  gateway.route('sendToAll', async (ctx) => {
    const delivered = await ctx.gateway.sendToAll(chat(ctx, { all: true }));
    return { delivered };
  });

  gateway.route('whoami', ({ socket }) => {
    const session: Session = createSession(socket.session);
    return { socketId: socket.id, uid: socket.uid, groups: [...socket.groups], session };
  });
}

function chat(ctx: RouteContext, to: ChatTarget): { type: 'chat'; data: ChatMessage } {
  const text = field(ctx.data, 'text', MAX_CHAT_TEXT);
  return { type: 'chat', data: { from: ctx.socket.uid ?? ctx.socket.id, to, text, at: Date.now() } };
}

/** A required non-empty string field of the request's data (numbers accepted for uid/group and turned to strings). */
function field(data: unknown, name: string, maxLength = 256): string {
  const value = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[name] : undefined;
  if (typeof value === 'number' && Number.isFinite(value) && name !== 'text') return String(value);
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new GatewayError(
      ErrorCode.InvalidArgument,
      `data.${name} must be a non-empty string of at most ${maxLength} characters`,
    );
  }
  return value;
}
