// Lint rules that catch bugs the type checker can't: promises nobody waits for or catches (a rejected one ends the
// process as an unhandled rejection), promises passed where a plain callback is expected, and type imports that
// would otherwise load a module at run time.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'src/gateway/public/**'],
  },
  {
    files: ['src/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // `void promise` is not an answer either: every promise is awaited, returned, or handed a rejection handler.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/no-misused-promises': 'error',
      // A type-only import says so, so it is erased whatever the compiler settings (and shows what is runtime).
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // wsgate/protocol runs in browsers, workers and workerd (test/runtimes.test.ts proves it on the packed tarball):
    // nothing from Node, caught here at the line instead of there at load time.
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^node:|^(buffer|crypto|zlib|util|events|stream)$',
              message: 'wsgate/protocol must not import Node modules',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'wsgate/protocol uses Uint8Array, not Buffer' },
        { name: 'process', message: 'wsgate/protocol must not depend on Node globals' },
        { name: 'setImmediate', message: 'wsgate/protocol has no timers' },
      ],
    },
  },
);
