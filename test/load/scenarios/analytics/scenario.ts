import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- analytics`: one day's analytics roll-up (the analytics.rollup job's work) over 30 days of
 * events seeded by SQL, against a plain COUNT of the same rows in the same run. Bench only: it makes its own database.
 */
export const scenario: Scenario = {
  name: 'analytics',
  description: "one day's analytics roll-up over 30 days of events for N users, against a plain COUNT of the same rows (bench only, local PostgreSQL)",
  bench: async (argv) => (await import('./bench.js')).benchAnalytics(argv),
};
