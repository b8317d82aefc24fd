import type { Scenario } from '../../lib/scenario.js';

/**
 * Chat's group-commit statement alone (no sockets): PostgreSQL CPU per send
 * batch and per message at a few batch sizes, against a bare multi-row INSERT
 * of the same rows into `messages` in the same run (bench.ts).
 *
 *   npm run bench -- chat-batch
 */
export const scenario: Scenario = {
  name: 'chat-batch',
  description: "chat's send-batch statement alone: PostgreSQL CPU per batch and per message by batch size, against a bare INSERT",
  bench: async (argv) => (await import('./bench.js')).benchChatBatch(argv),
};
