import type { Scenario } from '../../lib/scenario.js';

/**
 * What one ordinary user costs a node when several of their sockets ask for
 * big `chat:sync` pages at the allowed rate and never read the replies
 * (bench.ts). Bench only: it reads the node's RSS from /proc, so it starts
 * the node itself.
 */
export const scenario: Scenario = {
  name: 'slow-reader',
  description: "a node's memory while one user's sockets ask for big chat:sync pages and never read them (bench only)",
  bench: async (argv) => (await import('./bench.js')).benchSlowReader(argv),
};
