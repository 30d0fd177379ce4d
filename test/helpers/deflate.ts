// permessage-deflate (RFC 7692) for the raw test peers, over node:zlib's public streaming API — independent of
// src/server/deflate-codec.ts, so the two can judge each other.
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

function flushThrough(stream: DeflateRaw | InflateRaw, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
    };
    const onError = (error: Error): void => {
      stream.removeListener('data', onData);
      reject(error);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(input);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.removeListener('data', onData);
      stream.removeListener('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** A compressor for one direction of a connection. `noContextTakeover`: a fresh window per message. */
export class MessageDeflater {
  private stream: DeflateRaw | null = null;

  constructor(
    private readonly windowBits = 15,
    private readonly noContextTakeover = false,
  ) {}

  /** RFC 7692 §7.2.1: deflate, sync-flush, drop the trailing 00 00 ff ff. */
  async compress(message: Buffer): Promise<Buffer> {
    if (this.stream === null || this.noContextTakeover) {
      this.stream?.close();
      this.stream = createDeflateRaw({ windowBits: this.windowBits });
    }
    const out = await flushThrough(this.stream, message);
    if (!out.subarray(-4).equals(TRAILER)) throw new Error('sync flush did not end with 00 00 ff ff');
    return out.subarray(0, -4);
  }

  close(): void {
    this.stream?.close();
  }
}

/** A decompressor for one direction of a connection; rejects when the data needs a larger window than given. */
export class MessageInflater {
  private stream: InflateRaw | null = null;

  constructor(
    private readonly windowBits = 15,
    private readonly noContextTakeover = false,
  ) {}

  /** RFC 7692 §7.2.2: append 00 00 ff ff and inflate. */
  async decompress(payload: Buffer): Promise<Buffer> {
    if (this.stream === null || this.noContextTakeover) {
      this.stream?.close();
      this.stream = createInflateRaw({ windowBits: this.windowBits });
    }
    return flushThrough(this.stream, Buffer.concat([payload, TRAILER]));
  }

  close(): void {
    this.stream?.close();
  }
}

/** Extension header value → a map of parameter name to value (`true` when it has none), per element. */
export function parseExtensionHeader(value: string | undefined): Map<string, string | true>[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((element) => {
    const [name, ...params] = element.split(';').map((s) => s.trim());
    const map = new Map<string, string | true>([['', name]]);
    for (const param of params) {
      const eq = param.indexOf('=');
      map.set(
        eq === -1 ? param : param.slice(0, eq).trim(),
        eq === -1
          ? true
          : param
              .slice(eq + 1)
              .trim()
              .replace(/^"|"$/g, ''),
      );
    }
    return map;
  });
}
