import { randomBytes } from 'node:crypto';
import type { SocketId } from './types.js';

/*
 * Routable socket ids, like GatewayWorker's client_id: `<nodeId>.<sequence in base 36>`, e.g. `a1b2c3d4.1z`.
 * Any node can tell from an id which node holds the socket, so point operations (send to a socket, bind, join,
 * sessions, close) go straight to that node instead of asking every node.
 */

/** Node ids: 1–64 characters of `A–Z a–z 0–9 _ -` (no `.`, which separates the node from the sequence). */
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A fresh random node id (8 hex digits), unique per process: ids from a previous run never alias new sockets. */
export function createNodeId(): string {
  return randomBytes(4).toString('hex');
}

/** Throws `TypeError` unless `nodeId` is usable in socket ids. */
export function assertNodeId(nodeId: string): void {
  if (!NODE_ID.test(nodeId))
    throw new TypeError(`invalid nodeId ${JSON.stringify(nodeId)}: use 1-64 of A-Z a-z 0-9 _ -`);
}

/** Hands out the socket ids of one node. */
export class SocketIdAllocator {
  private sequence = 0;
  constructor(readonly nodeId: string) {
    assertNodeId(nodeId);
  }

  next(): SocketId {
    this.sequence++;
    return `${this.nodeId}.${this.sequence.toString(36)}`;
  }
}

/** The node that holds the socket `id`, or null when `id` is not a wsgate socket id. */
export function nodeOfSocketId(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  const dot = id.lastIndexOf('.');
  if (dot <= 0 || dot === id.length - 1 || dot > 64) return null;
  return id.slice(0, dot);
}
