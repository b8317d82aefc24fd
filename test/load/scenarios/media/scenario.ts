import type { Scenario } from '../../lib/scenario.js';

/**
 * `npm run bench -- media`: the media processing functions on their own
 * (no server, no storage): 12-megapixel JPEGs through processImage against a
 * bare sharp pipeline, and a 1-minute 1080p video through processVideo
 * against plain ffmpeg with the same encoder settings, in the same run
 * (bench.ts). Bench only: there is nothing running to point `load` at.
 */
export const scenario: Scenario = {
  name: 'media',
  description: 'processImage (12 MP JPEGs: images/s per core, peak RSS) vs bare sharp; processVideo (1 min 1080p) vs plain ffmpeg (bench only)',
  bench: async (argv) => (await import('./bench.js')).benchMedia(argv),
};
