import type { Scenario } from '../../lib/scenario.js';

/**
 * The random-match queue alone (no sockets, no PostgreSQL): pairs/s with
 * 10,000 waiting users of mixed preferences, time to pair, and the cost of a
 * pass beside waiters nobody can pair; today's baseline against the current
 * queue, on the Redis and memory drivers (bench.ts).
 *
 *   npm run bench -- matcher
 */
export const scenario: Scenario = {
  name: 'matcher',
  description: 'the match queue alone: pairs/s with 10,000 mixed waiters, time to pair, pass cost vs unpairable waiters',
  bench: async (argv) => (await import('./bench.js')).benchMatcher(argv),
};
