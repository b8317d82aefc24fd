import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- ledger`: posted transfers per second through
 * LedgerService against real PostgreSQL, with a bare INSERT baseline, the
 * hot-account comparison (1 shard vs 16), one hot wallet and batched spends
 * (bench.ts). Not a socket client loop, and bench only: it makes its own
 * database, so there is nothing running to point `npm run load` at.
 */
export const scenario: Scenario = {
  name: 'ledger',
  description: 'ledger spends/s vs a bare INSERT on local PostgreSQL (bench only: 1 vs 16 shards, hot wallet, batched)',
  bench: async (argv) => (await import('./bench.js')).benchLedger(argv),
};
