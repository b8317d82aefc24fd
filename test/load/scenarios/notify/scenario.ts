import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- notify`: notifications delivered during a mass message (bench.ts): one creator's mass message
 * to N followers, some connected (counting `notification:new`), the rest offline with a browser subscribed at
 * the push stand-in (test/support/push-standin.ts). Notifications stored, live-delivered and pushed per second
 * and p50/p99 from the send, against the same count of plain INSERTs and of direct web pushes in the same run.
 * Bench only: one node in this process, with its workers, on a fresh database.
 */
export const scenario: Scenario = {
  name: 'notify',
  description: 'notifications during a mass message: stored/s, live/s, pushed/s and p50/p99 from the send, against plain INSERTs and direct web pushes (bench only)',
  bench: async (argv) => (await import('./bench.js')).benchNotify(argv),
};
