/**
 * Writes the options table of docs/cli.md from the CLI's option table (src/cli/option-table.ts), between the
 * `<!-- options:start -->` and `<!-- options:end -->` markers. test/cli/options.test.ts fails when they differ.
 *
 *   npm run docs:cli
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { optionsMarkdown } from '../src/cli/help.js';

const file = new URL('../docs/cli.md', import.meta.url);
const doc = readFileSync(file, 'utf8');
const markers = /(<!-- options:start -->\n)[\s\S]*?(<!-- options:end -->)/;
if (!markers.test(doc)) throw new Error('docs/cli.md has no <!-- options:start --> / <!-- options:end --> markers');
writeFileSync(
  file,
  doc.replace(markers, (_all, start: string, end: string) => `${start}${optionsMarkdown()}${end}`),
);
console.log('docs/cli.md: options table written');
