// `node --import ./test/helpers/wsgate-from-source.mjs`: makes `import ... from 'wsgate'` (and 'wsgate/gateway',
// 'wsgate/protocol') load this checkout's sources, so an app module written as a user would (examples/) runs under
// the CLI from source without a build. Needs tsx loaded too (for the .ts files). Not a test file itself.
import { register } from 'node:module';

register('./wsgate-resolve.mjs', import.meta.url);
