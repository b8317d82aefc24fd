import { loopScenario, type Scenario } from '../../lib/scenario.js';
import { startBenchJanus } from './janus.js';
import { signalingLoop } from './signaling.js';

/**
 * Calls, two ways:
 *
 *   npm run bench|load -- calls [flags]          call signaling and SFU room set-up as a request/ack
 *                                                loop (signaling.ts); bench starts a Janus for Pairly (needs
 *                                                root), load needs nodes with SFU_JANUS_INSTANCES
 *   npm run bench|load -- calls --media [flags]  concurrent calls with WebRTC media through a real Janus
 *                                                (media/: peers in Janus's network namespace; needs root)
 */
const signaling = loopScenario({
  name: 'calls',
  description: 'call:invite → accept (SFU room) → accepted → hangup per request; --media: concurrent calls with WebRTC media through Janus',
  loop: signalingLoop,
  benchServices: async (log) => {
    const j = await startBenchJanus(log);
    return { env: { SFU_JANUS_INSTANCES: j.instances }, stop: j.stop };
  },
  usageNote:
    'bench starts a Janus in a network namespace of its own for Pairly (needs root and Debian\'s janus);\n' +
    'load needs nodes started with SFU_JANUS_INSTANCES (node --import tsx test/load/janus.ts prints it).\n' +
    'Calls with real media (WebRTC peers and Janus in a network namespace): npm run bench -- calls --media --help,\n' +
    'npm run load -- calls --media --help.',
});

// --media selects the media form; it stays in that form's command line, whose parser knows it.
const withMedia = (argv: string[]) => argv.includes('--media');

export const scenario: Scenario = {
  ...signaling,
  bench: async (argv) => (withMedia(argv) ? (await import('./media/bench.js')).benchMedia(argv) : signaling.bench(argv)),
  load: async (argv) => (withMedia(argv) ? (await import('./media/load.js')).loadMedia(argv) : signaling.load!(argv)),
};
