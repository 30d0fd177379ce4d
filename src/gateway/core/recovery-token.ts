import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SocketId } from './types.js';

/*
 * Recovery tokens: `<tokenId>.<socketId in base64url>.<HMAC-SHA256 of both, base64url>`. The id (128 random bits)
 * keys the single-use record the adapter stores when the socket closes; the socket id says whose identity it is;
 * the MAC, keyed with the secret every node shares, makes both unforgeable. What a token can't say (expiry,
 * single use) the record's TTL and take-and-delete enforce.
 */

/** Longest token we look at: anything longer is refused unread. */
export const MAX_TOKEN_LENGTH = 256;
const PREFIX = 'wsgate-recovery-v1';

export class RecoveryTokens {
  private readonly key: Uint8Array;

  constructor(secret: Uint8Array | null) {
    this.key = secret ?? new Uint8Array(randomBytes(32));
  }

  /** A new token for `socketId`, and the id its record is stored under. */
  mint(socketId: SocketId): { token: string; tokenId: string } {
    const tokenId = randomBytes(16).toString('base64url');
    const sid = Buffer.from(socketId).toString('base64url');
    return { token: `${tokenId}.${sid}.${this.mac(tokenId, sid)}`, tokenId };
  }

  /** The token's id and socket id, or null when it is malformed or its MAC is wrong. */
  verify(token: unknown): { tokenId: string; socketId: SocketId } | null {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [tokenId, sid, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(tokenId, sid));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return { tokenId, socketId: Buffer.from(sid, 'base64url').toString() };
  }

  private mac(tokenId: string, sid: string): string {
    return createHmac('sha256', this.key).update(`${PREFIX}.${tokenId}.${sid}`).digest('base64url');
  }
}
