import type { MediaConfig } from '../../config.js';
import type { JobHandler } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import { processMedia } from './media.process.js';
import type { MediaService } from './media.service.js';
import type { MediaStore } from './media.store.js';
import { sweepMedia } from './media.sweep.js';

export function mediaJobs(d: { store: MediaStore; media: MediaService; config: MediaConfig; logger: Logger; moderation: Pick<ModerationService, 'image'> }): {
  'media.process': JobHandler<'media.process'>;
  'media.sweep': JobHandler<'media.sweep'>;
} {
  return {
    'media.process': (p, ctx) => processMedia(d, p.mediaId, ctx),
    'media.sweep': async () => void (await sweepMedia(d)),
  };
}
