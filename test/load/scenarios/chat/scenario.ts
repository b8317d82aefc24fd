import type { Scenario } from '../../lib/scenario.js';

/**
 * One-to-one chat: clients in pairs (client i talks to client i^1 in one
 * conversation; with several nodes the two sides sit on different nodes),
 * paced at a total message rate over all senders. A message is timed from
 * its `chat:send` until the RECIPIENT's `chat:message` arrives, so the
 * latency is sender → recipient through Pairly's whole send path (limits,
 * the transaction that stores it, the push through the adapter); every
 * recipient answers with a `chat:delivered` receipt. Every message is
 * accounted for: lost, duplicated or stray deliveries fail the run.
 *
 *   npm run bench -- chat [flags]   Pairly (one node in this process, or --nodes 2 processes joined by Redis)
 *                                   against the bare socket.io relay (relay.ts), clients in a driver child
 *   npm run load -- chat --url U    against running nodes
 */
export const scenario: Scenario = {
  name: 'chat',
  description: 'pairs of users at a total message rate: sender → recipient latency, lost messages, receipts; --priced, bench --nodes 2',
  bench: async (argv) => (await import('./bench.js')).benchChat(argv),
  load: async (argv) => (await import('./load.js')).loadChat(argv),
};
