import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- media`: the media processing functions on their own
 * (no server, no storage): 12-megapixel JPEGs through processImage against a
 * bare sharp pipeline, and a 1-minute 1080p video through processVideo
 * against plain ffmpeg with the same encoder settings, in the same run
 * (bench.ts). `npm run bench -- media pipeline` is the whole path instead:
 * uploads through a real Pairly's API, confirm → ready on the owner's socket,
 * against the same files through processImage/processVideo (pipeline.ts).
 * Bench only: there is nothing running to point `load` at.
 */
export const scenario: Scenario = {
  name: 'media',
  description:
    'processImage (12 MP JPEGs: images/s per core, peak RSS) vs bare sharp; processVideo (1 min 1080p) vs plain ffmpeg; ' +
    '`media pipeline`: confirm→ready through a real Pairly vs processImage/processVideo (bench only)',
  bench: async (argv) =>
    argv[0] === 'pipeline' ? (await import('./pipeline.js')).benchPipeline(argv.slice(1)) : (await import('./bench.js')).benchMedia(argv),
};
