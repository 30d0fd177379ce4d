export interface StreamPosition {
    epoch: string;
    offset: number;
}
/** A message of a stream, as the server framed it. */
export interface Publication {
    stream: string;
    epoch: string;
    offset: number;
    /** The frame the server would have sent without history: text, or bytes for a binary message. */
    data: string | Uint8Array;
}
/** One stream in the server's answer to `$recover`. */
export interface StreamRecoveryResult {
    /** True when every missed message of the stream was replayed; false when some are gone (refetch). */
    recovered: boolean;
    /** The stream's epoch the client is now in. */
    epoch: string;
    /** The offset within `epoch` the client is now at (the last message it has). */
    offset: number;
}
/** The `recovered` event: every stream came back complete. */
export interface RecoveredEvent {
    /** The new socket's id. */
    socketId: string;
    /** The id of the socket whose identity (uid, groups, session) it took over. */
    previousId: string;
    /** Per stream name (`group:<name>`, `uid:<uid>`, `all`), how its recovery went. */
    streams: Record<string, StreamRecoveryResult>;
}
/**
 * The `recovery-failed` event: the identity could not be restored (`reason` is the server's error code, or
 * "timeout" / "disconnected"), or it was but some streams lost messages (`streams` lists them as `recovered:false`):
 * refetch that state from your backend.
 */
export interface RecoveryFailedEvent {
    /** Why: the server's error code, `"timeout"`, `"disconnected"`, or `"incomplete"` (identity back, streams lost). */
    reason: string;
    /** The new socket's id, when the server answered. */
    socketId?: string;
    /** The previous socket's id, when the identity was restored. */
    previousId?: string;
    /** Per stream name, how its recovery went (empty when the identity could not be restored). */
    streams: Record<string, StreamRecoveryResult>;
}
export declare const RECOVER_TYPE = "$recover";
export declare const TOKEN_TYPE = "$recovery";
export declare const PUBLICATION_TYPE = "publication";
/** A publication frame's fields, checked; null for anything else. */
export declare function parsePublication(message: Record<string, unknown>): Publication | null;
export declare class StreamTracker {
    /** The last position delivered to the app, per stream. */
    readonly positions: Map<string, StreamPosition>;
    /** The token of the current connection (null before the server sent one). */
    token: string | null;
    private recovering;
    private buffered;
    /** True while a `$recover` is in flight: publications wait for its answer. */
    get isRecovering(): boolean;
    /** What to present after reconnecting, or null when there is no token (recovery off on the server). */
    beginRecovery(): {
        token: string;
        positions: Record<string, StreamPosition>;
    } | null;
    /** A publication arrived: those to hand to the app now, in order (none while recovering, none twice). */
    accept(publication: Publication): Publication[];
    /**
     * The answer to `$recover` (null: refused, timed out or disconnected): streams the server could not recover
     * jump to its current position; then the buffered publications go out per stream in offset order, each once.
     */
    finishRecovery(streams: Record<string, StreamRecoveryResult> | null): Publication[];
    /** Records `publication` as delivered unless the app already has it (same epoch, offset not after ours). */
    private advance;
}
