/**
 * The gateway's vocabulary (DESIGN.md, Layer 3): a socket is one connection, a uid an application user bound to
 * zero or more sockets, a group a named set of sockets, a session a small JSON object per socket.
 */

/** A socket's id: `<nodeId>.<sequence>` — routable, it names the node that holds the socket (see `socket-id.ts`). */
export type SocketId = string;

/** An application user id. Numbers given to gateway methods are converted to strings. */
export type Uid = string;

/** A group name. Numbers given to gateway methods are converted to strings. */
export type GroupName = string;

/** What gateway methods accept for a uid or group: a non-empty string or a number, at most 256 characters. */
export type NameLike = string | number;

/** A per-socket session: a JSON object. Must survive `JSON.stringify` when a cluster adapter is used. */
export type Session = Record<string, unknown>;

/** The `id` of a request envelope, echoed in its reply. */
export type RequestId = string | number;

/**
 * A message to send: a string goes out as a text frame as is, bytes as a binary frame, and anything else is
 * serialized with `JSON.stringify` (once per call, whatever the number of recipients).
 */
export type OutboundMessage = string | Uint8Array | object;

/** A message serialized once, ready to frame: what the gateway hands to adapters and nodes. */
export interface Payload {
  /** Text for a text frame, bytes for a binary frame. */
  readonly data: string | Uint8Array;
  /** True when `data` goes out as a binary frame. */
  readonly binary: boolean;
}

/** Turns an outbound message into its payload. Throws `TypeError` for values `JSON.stringify` can't encode. */
export function toPayload(message: OutboundMessage): Payload {
  if (typeof message === 'string') return { data: message, binary: false };
  if (message instanceof Uint8Array) return { data: message, binary: true };
  const json = JSON.stringify(message) as string | undefined;
  if (json === undefined) throw new TypeError('message is not JSON-serializable');
  return { data: json, binary: false };
}
