/**
 * The TSDoc on the public types (npm run docs:check): typedoc's validation over the package entry points and the
 * browser client with every warning an error, and `@defaultValue` on every optional field of an options interface.
 */
import { describe, expect, it } from 'vitest';
import { checkConfig, CONFIGS } from '../scripts/check-docs.js';

describe('documentation on the public types', () => {
  it.each(CONFIGS)(
    '%s: typedoc validation is clean and every option states its default',
    async (config) => {
      const { problems, interfaces } = await checkConfig(config);
      expect(problems).toEqual([]);
      expect(interfaces).toBeGreaterThan(0);
    },
    180_000,
  );
});
