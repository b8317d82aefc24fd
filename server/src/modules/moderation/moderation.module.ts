import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { LimiterFactory } from '../../ratelimit.js';
import type { AuditService } from '../audit/audit.service.js';
import { ImageClassifier } from './image.classifier.js';
import { moderationAdminRouteDocs, moderationAdminRoutes } from './moderation.routes.js';
import { ModerationService, type SubjectDecider } from './moderation.service.js';
import { ModerationStore } from './moderation.store.js';

/**
 * The moderate step every user text and image passes (verification documents
 * aside), and the admin queue of what it quarantined. Built before the
 * modules whose content it checks; the owners of quarantinable subjects
 * (media) are bound late through `deciders`.
 */
export function moderationModule(d: {
  config: Config;
  db: Database;
  limiter: LimiterFactory;
  audit: Pick<AuditService, 'recordIn'>;
  logger: Logger;
  deciders: () => Partial<Record<'media', SubjectDecider>>;
  isCreator: (userId: string) => Promise<boolean>;
}) {
  const config = d.config.moderation;
  const service = new ModerationService({
    db: d.db,
    store: new ModerationStore(d.db),
    classifier: new ImageClassifier(),
    config,
    repeats: {
      recipients: d.limiter({ keyPrefix: 'moderation-repeats', points: config.repeat.limit, durationSeconds: config.repeat.windowSeconds }),
      seen: d.limiter({ keyPrefix: 'moderation-repeat-seen', points: 1, durationSeconds: config.repeat.windowSeconds }),
    },
    audit: d.audit,
    logger: d.logger,
    deciders: d.deciders,
    isCreator: d.isCreator,
  });
  return {
    name: 'moderation',
    service,
    routes: (guards) => Router().use('/admin/moderation', moderationAdminRoutes(guards, service)),
    docs: mountedAt('/api/admin/moderation', moderationAdminRouteDocs, 'admin'),
  } satisfies ModuleWithServices;
}
