import { ECHO_OPTIONS, envName, SERVE_OPTIONS, type OptionSpec } from './option-table.js';

const FLAG_COLUMN = 32;

function flagText(spec: OptionSpec): string {
  const meta = spec.kind.meta === '' ? '' : ` ${spec.kind.meta}`;
  if (spec.kind.isSwitch === true) return `--${spec.flag}, --no-${spec.flag}`;
  const aliases = (spec.aliases ?? []).map((a) => `, --${a}`).join('');
  return `--${spec.flag}${meta}${aliases}`;
}

function helpLines(table: readonly OptionSpec[], withSources: boolean): string[] {
  const lines: string[] = [];
  let group = '';
  for (const spec of table) {
    if (spec.group !== group) {
      group = spec.group;
      if (withSources) lines.push(`  ${group}:`);
    }
    const flag = `    ${flagText(spec)}`;
    lines.push(
      flag.length < FLAG_COLUMN
        ? `${flag.padEnd(FLAG_COLUMN)}${spec.help}`
        : `${flag}\n${' '.repeat(FLAG_COLUMN)}${spec.help}`,
    );
    const env = envName(spec);
    const where = [`default ${spec.defaultText}`];
    if (withSources && env !== null) where.push(`env ${env}`);
    if (withSources && spec.key !== 'config') where.push(`file ${spec.key}`);
    lines.push(`${' '.repeat(FLAG_COLUMN)}(${where.join('; ')})`);
  }
  return lines;
}

/** `wsgate help`: generated from the option tables, so every option is listed with its default and sources. */
export function helpText(): string {
  return [
    'wsgate — WebSocket server and gateway for Node.js',
    '',
    'Usage:',
    '  wsgate serve [app.js] [options]  run the gateway: your app module (see docs/cli.md), or the demo chat at /',
    '  wsgate echo [options]            run a WebSocket echo server (text back as text, binary as binary)',
    '  wsgate help                      show this help',
    '  wsgate version                   print the version',
    '',
    'serve options. Precedence: flags > environment > config file > the app module’s config > defaults.',
    'Durations take ms or a unit (15s, 2m); sizes take bytes or kb/mb. The config file is --config, else',
    './wsgate.config.js, .mjs or .json; its keys are the "file" names below (dotted = nested objects).',
    ...helpLines(SERVE_OPTIONS, true),
    '',
    'echo options:',
    ...helpLines(ECHO_OPTIONS, false),
    '',
    'Ctrl-C (SIGINT) or SIGTERM shuts down gracefully: sockets get a 1001 close, then the process exits.',
    'A bad option value exits with code 2 and one line naming the option.',
    '',
  ].join('\n');
}

/** The options table of docs/cli.md (`npm run docs:cli` writes it; a test checks it is current). */
export function optionsMarkdown(): string {
  const escape = (s: string): string => s.replace(/\|/g, '\\|');
  const rows = SERVE_OPTIONS.map((spec) => {
    const env = envName(spec);
    return `| \`${escape(flagText(spec))}\` | ${env === null ? '' : `\`${env}\``} | ${spec.key === 'config' ? '' : `\`${spec.key}\``} | ${escape(spec.defaultText)} | ${escape(spec.help)} |`;
  });
  return [
    '| Flag | Environment | Config file key | Default | What it does |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
