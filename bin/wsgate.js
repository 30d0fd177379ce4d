#!/usr/bin/env node
// Thin launcher: the CLI itself is compiled from src/cli/ into dist/ (src/cli.ts re-exports its entry point).
// `main` never rejects: it prints one line and sets the exit code itself.
import { main } from '../dist/cli.js';

await main(process.argv.slice(2));
