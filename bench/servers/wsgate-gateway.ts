/**
 * wsgate's gateway under test, for the `memory-gateway` scenario only (the load generator opens idle connections):
 *
 *   node --expose-gc --import tsx bench/servers/wsgate-gateway.ts [port]
 *
 * `createGateway` with its defaults (heartbeat on, HTTP routes on), except the WebSocket path: `/`, where the load
 * generator connects. Same contract as the other servers here for what the memory scenario uses: prints
 * `LISTENING <port>`, answers `mem` with `MEM {json}`, exits when stdin ends.
 */
import { createInterface } from 'node:readline';
import { createGateway } from '../../src/index.js';
import { memoryReportLine } from './memory-report.mjs';

const gateway = await createGateway({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), path: '/' });

process.stdout.write(`LISTENING ${gateway.port}\n`);
createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() === 'mem') process.stdout.write(memoryReportLine(gateway.server.clients.size));
  })
  .on('close', () => process.exit(0));
