import { runEntry } from './lib/scenario.js';

/**
 * `npm run bench -- <scenario> [flags]`: the scenario starts what it measures
 * itself (Pairly in this process or as node processes, on a temp dir or a
 * database and Redis prefix of its own, and its baseline) and removes it at
 * the end. `npm run bench -- --help` lists the scenarios; `npm run bench --
 * <scenario> --help` lists that scenario's flags. See lib/scenario.ts.
 */
process.exit(await runEntry('bench', process.argv.slice(2)));
