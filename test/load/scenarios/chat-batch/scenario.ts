import type { Scenario } from '../../lib/scenario.js';

/**
 * Chat's group-commit statements alone (no sockets): PostgreSQL CPU per send
 * batch and per message at a few batch sizes, against a bare multi-row INSERT
 * of the same rows into `messages` in the same run; or, with `--statement
 * receipts`, per receipts batch against a bare UPDATE of the same members'
 * pointers (bench.ts).
 *
 *   npm run bench -- chat-batch [--statement receipts [--unread N]]
 */
export const scenario: Scenario = {
  name: 'chat-batch',
  description: "chat's group-commit statements alone (send, or --statement receipts): PostgreSQL CPU per batch and per message by batch size, against a bare INSERT or UPDATE",
  bench: async (argv) => (await import('./bench.js')).benchChatBatch(argv),
};
