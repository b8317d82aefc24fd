import type { Scenario } from '../../lib/scenario.js';

/**
 * Idle authenticated sockets on one node: RSS and heap per socket against
 * the same node with none and against a bare socket.io server, then a
 * server-side drop of every socket and the reconnect storm (time until all
 * are back, connects/s, errors). See bench.ts.
 *
 *   npm run bench -- connections [flags]
 */
export const scenario: Scenario = {
  name: 'connections',
  description: 'N idle authenticated sockets on one cluster node: RSS/heap per socket vs bare socket.io; reconnect storm after a drop of all',
  bench: async (argv) => (await import('./bench.js')).benchConnections(argv),
};
