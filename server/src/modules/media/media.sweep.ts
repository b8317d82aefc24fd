import type { MediaConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { MediaService } from './media.service.js';
import type { MediaStore } from './media.store.js';
import { originalKey } from './media.views.js';

const BATCH = 200;

export interface SweepResult {
  expired: number;
  purged: number;
  requeued: number;
  tempFiles: number;
}

/**
 * The scheduled `media.sweep` (every MEDIA_SWEEP_SECONDS):
 * - uploads never confirmed within MEDIA_UPLOAD_TTL_SECONDS: their open
 *   multipart upload aborted, every object under their prefix removed, the row deleted;
 * - deleted or refused items whose objects could not all be removed at the
 *   time (the store was down): removed now;
 * - items pending long past any processing run (their job was lost with a
 *   Redis that restarted empty, or with an embedded process that stopped):
 *   queued again;
 * - the embedded driver's temporary files a crashed process left behind.
 * Each step is idempotent; a failure leaves the item for the next sweep.
 */
export async function sweepMedia(d: { store: MediaStore; media: MediaService; config: MediaConfig; logger: Logger }): Promise<SweepResult> {
  const storage = d.media.storage();
  const result: SweepResult = { expired: 0, purged: 0, requeued: 0, tempFiles: 0 };

  for (const m of await d.store.expiredUploads(BATCH)) {
    try {
      if (m.multipart_upload_id) await storage.abortMultipart(originalKey(m), m.multipart_upload_id);
      await storage.deletePrefix(m.storage_prefix);
      if (await d.store.removeExpired(m.id)) result.expired++;
    } catch (err) {
      d.logger.warn({ err, mediaId: m.id }, 'expired upload not removed yet');
    }
  }

  for (const m of await d.store.unpurged(BATCH)) if (await d.media.purge(m)) result.purged++;

  // Long enough that a run still working (every attempt of it, at its timeout) is not doubled.
  const staleSeconds = Math.max(900, 3 * d.config.processTimeoutSeconds);
  const bucket = Math.floor(Date.now() / (staleSeconds * 1000));
  for (const m of await d.store.stalePending(staleSeconds, BATCH)) {
    await d.media.enqueueProcessing(m.id, `:requeue:${bucket}`);
    result.requeued++;
  }

  if (storage.local) result.tempFiles = await storage.local.removeStaleTemp(new Date(Date.now() - 86_400_000));
  if (result.expired || result.purged || result.requeued || result.tempFiles) d.logger.info(result, 'media sweep');
  return result;
}
