// Runs the wsgate CLI from source (`node --import tsx test/helpers/cli-main.ts serve ...`): a real script path, so
// that `serve --workers N` can fork itself as node:cluster workers. Not a test file itself.
import { main } from '../../src/cli.js';

await main(process.argv.slice(2));
