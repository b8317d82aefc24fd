import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- moderation`: the moderate step's costs. The image
 * classifier on the committed fixtures (first load, then time per image);
 * the text checks per typical message and per longest message; and what
 * text moderation adds to chat:send (ack p50/p99 with the step on and off,
 * interleaved rounds, one in-process Pairly on the local PostgreSQL and
 * Redis). Bench only: there is nothing running to point `load` at.
 */
export const scenario: Scenario = {
  name: 'moderation',
  description: 'image classification ms per image (nsfwjs, wasm), text checks µs per text, chat:send ack p50/p99 with text moderation on vs off (bench only)',
  bench: async (argv) => (await import('./bench.js')).benchModeration(argv),
};
