import type { HistoryOptions, RecoveryOptions } from '../gateway/core/history-options.js';
import type { GatewayOptions } from '../gateway/core/options.js';
import { DEFAULT_SERVE_OPTIONS } from './option-table.js';
import { UsageError } from './usage-error.js';

/**
 * What `wsgate serve` settles after flags, environment, config file and the app's `config` are merged, before
 * `createGateway` sees the options: the one-flag forms of history and recovery (`--history-size 100` alone turns
 * history on, `--recovery-secret` alone turns recovery on) and the dashboard's need for an API key, refused here in
 * one line rather than served as a page nobody can open.
 */
export function settleServeOptions(options: GatewayOptions): GatewayOptions {
  let settled = options;
  // Merged from flags and files, these may hold only some of their fields whatever the types say.
  const history = options.history as Partial<HistoryOptions> | false | undefined;
  if (history !== undefined && history !== false) {
    settled = {
      ...settled,
      history: {
        ...history,
        size: history.size ?? DEFAULT_SERVE_OPTIONS.historySize,
        ttl: history.ttl ?? DEFAULT_SERVE_OPTIONS.historyTtl,
      },
    };
  }
  const recovery = options.recovery as Partial<RecoveryOptions> | false | undefined;
  if (recovery !== undefined && recovery !== false) {
    settled = {
      ...settled,
      recovery: { ...recovery, window: recovery.window ?? DEFAULT_SERVE_OPTIONS.recoveryWindow },
    };
  }
  const web = options.web;
  if (web !== undefined && web !== false && web.dashboard === true && (options.apiKey ?? '') === '')
    throw new UsageError('--dashboard needs an API key (--api-key, or better WSGATE_API_KEY)');
  return settled;
}
