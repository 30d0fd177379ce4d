// The `wsgate` command. bin/wsgate.js loads the compiled dist/cli.js and calls `main`; the command lives in src/cli/
// (one concern per file: the option table, flags, config file, resolution, serve, workers, echo, help).
export { main, parseCommand, type Command } from './cli/main.js';
export { helpText, optionsMarkdown } from './cli/help.js';
export { UsageError } from './cli/usage-error.js';
export { SERVE_OPTIONS, ECHO_OPTIONS, DEFAULT_SERVE_OPTIONS, envName, type OptionSpec } from './cli/option-table.js';
export { resolveServeSettings, type ServeSettings, type Source } from './cli/resolve.js';
export { startServe, type RunningGateway, type ServeInput } from './cli/serve.js';
export { startEcho, type EchoSettings } from './cli/echo.js';
export type { Running } from './cli/running.js';
