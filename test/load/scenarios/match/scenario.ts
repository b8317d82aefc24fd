import { startedAs } from '../lib/ledger-match-machine.js';
import { runMatchBench, runMatchLoad } from '../lib/match-bench.js';
import type { Scenario } from '../lib/scenario.js';

/**
 * Random matches: users join, get match:found, exchange one message each on
 * the session's conversation, skip and are requeued, over and over; pairs/s,
 * time to pair, longest wait and double pairings (test/load/lib/match-crowd.ts).
 *
 *   npm run bench -- match   nodes started here (1 and 2 server processes, own database and
 *                            Redis prefix, raised per-user limits) plus a standing queue
 *   npm run load -- match --url U [--url U ...]   against running nodes
 *
 * The figures are not a request/ack loop, so bench.ts's driver and load.ts's
 * runner do not apply: when either loads this scenario, the match bench or
 * load takes over the process (their flag check has already passed; this
 * module re-reads the flags) and exits with its own status.
 */
export const scenario: Scenario = {
  name: 'match',
  description: 'random-match cycles (join → found → message → skip): pairs/s, time to pair, double pairings',
  async open() {
    throw new Error('the match scenario runs its own loop: use `npm run bench -- match` or `npm run load -- match --url ...`');
  },
};

if (startedAs('bench.ts')) process.exit(await runMatchBench(process.argv.slice(2)));
if (startedAs('load.ts')) process.exit(await runMatchLoad(process.argv.slice(2)));
