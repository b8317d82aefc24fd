import type { Scenario } from '../../lib/scenario.js';

/**
 * Random matches: users join, get match:found, exchange one message each on
 * the session's conversation, skip and are requeued, over and over; pairs/s,
 * time to pair, longest wait and double pairings (crowd.ts).
 *
 *   npm run bench -- match   nodes started here (1 and 2 server processes, own database and
 *                            Redis prefix, raised per-user limits) plus a standing queue (bench.ts)
 *   npm run load -- match --url U [--url U ...]   against running nodes (load.ts)
 */
export const scenario: Scenario = {
  name: 'match',
  description: 'random-match cycles (join → found → message → skip): pairs/s, time to pair, double pairings',
  bench: async (argv) => (await import('./bench.js')).benchMatch(argv),
  load: async (argv) => (await import('./load.js')).loadMatch(argv),
};
