import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { LimiterFactory } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import { mediaJobs } from './media.jobs.js';
import { mediaAdminRouteDocs, mediaAdminRoutes, mediaFileRouteDocs, mediaFileRoutes, mediaRouteDocs, mediaRoutes } from './media.routes.js';
import { MediaService, type MediaAccessHooks } from './media.service.js';
import { MediaStore } from './media.store.js';
import type { MediaStorage } from './storage.js';

/**
 * Uploaded photos and videos: uploads straight to storage, a processing job
 * per item, authorised reads through signed expiring URLs. `storage` is the
 * driver openMediaStorage chose (undefined: media is off). `access` holds the
 * read rules other modules own (chat's attachments, creators' posts), bound late.
 */
export function mediaModule(d: {
  config: Config;
  db: Database;
  storage: MediaStorage | undefined;
  jobs: JobQueue;
  realtime: Realtime;
  limiter: LimiterFactory;
  audit: Pick<AuditService, 'record'>;
  logger: Logger;
  moderation: Pick<ModerationService, 'image' | 'subjectGone'>;
  access?: () => MediaAccessHooks;
}) {
  const config = d.config.media;
  const store = new MediaStore(d.db);
  const service = new MediaService({
    store,
    storage: d.storage,
    jobs: d.jobs,
    realtime: d.realtime,
    logger: d.logger,
    config,
    uploads: d.limiter({ keyPrefix: 'media-uploads', points: config.uploadsPerHour, durationSeconds: 3600 }),
    audit: d.audit,
    access: d.access ?? (() => ({})),
    gone: (id) => d.moderation.subjectGone('media', id),
  });
  return {
    name: 'media',
    service,
    routes: (guards) => Router().use('/media', mediaRoutes(guards, service)).use('/admin/media', mediaAdminRoutes(guards, service)),
    publicRoutes: Router().use('/api/media', mediaFileRoutes(service)),
    docs: [...mountedAt('/api/media', mediaRouteDocs, 'media'), ...mountedAt('/api/admin/media', mediaAdminRouteDocs, 'admin'), ...mountedAt('/api/media', mediaFileRouteDocs, 'media')],
    jobs: mediaJobs({ store, media: service, config, logger: d.logger, moderation: d.moderation }),
    // Without storage there is nothing to sweep.
    schedules: d.storage ? [{ name: 'media.sweep', payload: {}, everyMs: config.sweepSeconds * 1000 }] : [],
    stop: () => d.storage?.close(),
  } satisfies ModuleWithServices;
}
