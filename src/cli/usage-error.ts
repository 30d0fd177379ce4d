/**
 * A mistake in what the user gave us (a flag, an environment variable, the config file, the app module's shape):
 * `main` prints its one-line message, no stack trace, and exits with code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
