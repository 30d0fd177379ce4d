import { createServer } from '../server/server.js';
import { displayHost, type Running } from './running.js';

export interface EchoSettings {
  readonly port: number;
  readonly host: string;
  readonly deflate: boolean;
  readonly maxPayload: number | undefined;
}

/** `wsgate echo`: text back as text, binary as binary. */
export async function startEcho(options: EchoSettings): Promise<Running> {
  const server = await createServer({
    port: options.port,
    host: options.host,
    perMessageDeflate: options.deflate,
    maxPayload: options.maxPayload,
    handlers: {
      message(ws, data, isBinary) {
        ws.send(data, { binary: isBinary, compress: true });
      },
    },
  });
  const port = server.port;
  return { url: `ws://${displayHost(options.host)}:${port}/`, port, close: () => server.close() };
}
