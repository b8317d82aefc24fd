import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- renewals`: the subscription renewal job (creators.renew) against real PostgreSQL
 * (bench.ts): renewals per second for subscriptions all due at once, against the bare ledger spends the
 * renewals make, in the same run. Bench only: it makes its own database.
 */
export const scenario: Scenario = {
  name: 'renewals',
  description: 'subscription renewals per second (creators.renew) against the bare ledger spends they make (bench only, local PostgreSQL)',
  bench: async (argv) => (await import('./bench.js')).benchRenewals(argv),
};
