// Delivery across reconnects for the wsgate browser client (imported by wsgate-client.ts; compiled next to it into
// src/gateway/public and served at /wsgate-recovery.js). Pure bookkeeping, no socket: which position the client has
// in each stream, which publications to hand to the app (in offset order, each once), and what to present when it
// reconnects. The protocol is in docs/gateway.md, "History and recovery".
//
//   server → {"type":"$recovery","data":{"token","socketId"}}                         a token for this connection
//   server → {"type":"publication","stream","epoch","offset","data","binary"?}        a message of a stream
//   client → {"type":"$recover","id","data":{"token","positions":{stream:{epoch,offset}}}}   after reconnecting
//   server → publications it missed, then {"type":"$recover","id","data":{"socketId","previousId","streams"}}
export const RECOVER_TYPE = '$recover';
export const TOKEN_TYPE = '$recovery';
export const PUBLICATION_TYPE = 'publication';
/** Most publications buffered while a recovery is in flight (a server replays at most its history size). */
const MAX_BUFFERED = 100000;
/** A publication frame's fields, checked; null for anything else. */
export function parsePublication(message) {
    const { stream, epoch, offset, data, binary } = message;
    if (typeof stream !== 'string' || typeof epoch !== 'string' || typeof data !== 'string')
        return null;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 1)
        return null;
    return { stream, epoch, offset, data: binary === true ? fromBase64(data) : data };
}
function fromBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++)
        bytes[i] = binary.charCodeAt(i);
    return bytes;
}
export class StreamTracker {
    /** The last position delivered to the app, per stream. */
    positions = new Map();
    /** The token of the current connection (null before the server sent one). */
    token = null;
    recovering = false;
    buffered = [];
    /** True while a `$recover` is in flight: publications wait for its answer. */
    get isRecovering() {
        return this.recovering;
    }
    /** What to present after reconnecting, or null when there is no token (recovery off on the server). */
    beginRecovery() {
        const token = this.token;
        this.recovering = false;
        if (token === null)
            return null;
        this.token = null; // single-use: the next connection gets its own
        this.recovering = true;
        this.buffered = [];
        const positions = {};
        for (const [stream, position] of this.positions)
            positions[stream] = { ...position };
        return { token, positions };
    }
    /** A publication arrived: those to hand to the app now, in order (none while recovering, none twice). */
    accept(publication) {
        if (this.recovering) {
            if (this.buffered.length < MAX_BUFFERED)
                this.buffered.push(publication);
            return [];
        }
        return this.advance(publication) ? [publication] : [];
    }
    /**
     * The answer to `$recover` (null: refused, timed out or disconnected): streams the server could not recover
     * jump to its current position; then the buffered publications go out per stream in offset order, each once.
     */
    finishRecovery(streams) {
        this.recovering = false;
        if (streams !== null) {
            for (const [stream, result] of Object.entries(streams)) {
                if (!result.recovered)
                    this.positions.set(stream, { epoch: result.epoch, offset: result.offset });
            }
        }
        const buffered = this.buffered;
        this.buffered = [];
        // A stable sort by offset within a stream keeps the streams' relative order as they arrived.
        const order = new Map();
        buffered.forEach((p) => order.has(p.stream) || order.set(p.stream, order.size));
        buffered.sort((a, b) => order.get(a.stream) - order.get(b.stream) || a.offset - b.offset);
        return buffered.filter((p) => this.advance(p));
    }
    /** Records `publication` as delivered unless the app already has it (same epoch, offset not after ours). */
    advance(publication) {
        const known = this.positions.get(publication.stream);
        if (known !== undefined && known.epoch === publication.epoch && publication.offset <= known.offset)
            return false;
        this.positions.set(publication.stream, { epoch: publication.epoch, offset: publication.offset });
        return true;
    }
}
