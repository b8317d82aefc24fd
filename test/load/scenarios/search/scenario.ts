import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- search`: search over seeded data (bench.ts): GET /api/creators?q= and GET /api/search/posts?q=
 * through one real node on PostgreSQL seeded by `npm run seed`'s code (default 100,000 creators, 1,000,000
 * posts), with /healthz and the creators listing without q as baselines in the same run. Bench only: it
 * makes and seeds its own database, so there is nothing for `npm run load`.
 */
export const scenario: Scenario = {
  name: 'search',
  description: 'creator and post search p50/p95/p99 over 100,000 creators and 1,000,000 seeded posts, beside /healthz and the plain listing (bench only, local PostgreSQL)',
  bench: async (argv) => (await import('./bench.js')).benchSearch(argv),
};
