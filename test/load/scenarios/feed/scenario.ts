import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- feed`: the posts module's feed against real PostgreSQL (bench.ts): feed page reads for a
 * reader following 1,000 creators (fan-out rows plus merge on read of big creators), and the fan-out of one
 * post to 100,000 followers. Bench only: it makes its own database, so there is nothing for `npm run load`.
 */
export const scenario: Scenario = {
  name: 'feed',
  description: 'feed read p50/p99 following 1,000 creators, and fan-out of one post to 100,000 followers (bench only, local PostgreSQL)',
  bench: async (argv) => (await import('./bench.js')).benchFeed(argv),
};
