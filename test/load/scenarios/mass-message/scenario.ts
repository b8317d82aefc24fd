import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- mass-message`: one creator's mass message to 100,000 followers (delivered by the workers
 * process) while other users chat at a steady rate: messages stored per second, time to finish, nothing lost
 * or doubled, and the chat's ack p99 alone, during it, and alone again (bench.ts). Bench only: it seeds its
 * own database.
 */
export const scenario: Scenario = {
  name: 'mass-message',
  description: 'a mass message to 100,000 followers (workers process): messages/s, time to finish, chat p99 alone / during / alone again (bench only)',
  bench: async (argv) => (await import('./bench.js')).benchMassMessage(argv),
};
