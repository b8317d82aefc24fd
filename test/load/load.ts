import { runEntry } from './lib/scenario.js';

/**
 * `npm run load -- <scenario> --url http://127.0.0.1:4001 [--url ...] [flags]`:
 * the scenario's clients against Pairly nodes that are already running (e.g.
 * `npm run cluster -- --nodes 3`; 127.0.0.0/8 only). `npm run load -- --help`
 * lists the scenarios; `npm run load -- <scenario> --help` that scenario's
 * flags. See lib/scenario.ts.
 */
process.exit(await runEntry('load', process.argv.slice(2)));
