import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- fanout-chat`: chat ack p99 at a steady rate, alone, while one post fans out to 100,000
 * followers (job in the workers process), and alone again, on one cluster-mode node on the local PostgreSQL
 * and Redis (bench.ts). Bench only: it seeds its own database, so there is nothing for `npm run load`.
 */
export const scenario: Scenario = {
  name: 'fanout-chat',
  description: 'chat p99 at 200 msg/s alone, during one post\'s fan-out to 100,000 followers (workers process), and alone again (bench only)',
  bench: async (argv) => (await import('./bench.js')).benchFanoutChat(argv),
};
