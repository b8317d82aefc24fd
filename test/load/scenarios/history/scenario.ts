import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- history`: history pages (GET /api/conversations/:id/messages) read through a node on a
 * PostgreSQL primary alone, then through a node that reads them from a streaming replica of it (bench.ts),
 * both made by the bench (initdb + pg_basebackup). Bench only: it makes and seeds its own servers.
 */
export const scenario: Scenario = {
  name: 'history',
  description: 'history pages per second from a streaming replica (DATABASE_REPLICA_URLS) against the primary alone, same run (bench only, its own PostgreSQL pair)',
  bench: async (argv) => (await import('./bench.js')).benchHistory(argv),
};
