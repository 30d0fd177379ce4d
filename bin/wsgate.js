#!/usr/bin/env node
// Thin launcher: the CLI itself is compiled from src/cli.ts into dist/.
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
