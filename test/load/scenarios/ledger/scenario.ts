import { startedAs } from '../lib/ledger-match-machine.js';
import { runLedgerBench } from '../lib/ledger-bench.js';
import type { Scenario } from '../lib/scenario.js';

/**
 * `npm run bench -- ledger`: posted transfers per second through
 * LedgerService against real PostgreSQL, with a bare INSERT baseline, the
 * hot-account comparison (1 shard vs 16), one hot wallet and batched spends.
 * The bench itself lives in test/load/lib/ledger-bench.ts.
 *
 * This is not a socket client loop, so bench.ts's driver/bare-server flow does
 * not apply: when bench.ts loads this scenario, the ledger bench takes over
 * the process (bench.ts has already checked its flags; this module re-reads
 * them) and exits with its own status.
 */
export const scenario: Scenario = {
  name: 'ledger',
  description: 'ledger spends/s vs a bare INSERT on local PostgreSQL (bench only: 1 vs 16 shards, hot wallet, batched)',
  async open() {
    throw new Error('the ledger scenario measures PostgreSQL directly and has no socket clients: run `npm run bench -- ledger`');
  },
};

if (startedAs('bench.ts')) process.exit(await runLedgerBench(process.argv.slice(2)));
