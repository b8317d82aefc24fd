import { Router } from 'express';
import type { RedisClient } from '../../redis.js';
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
import { limiterRepeats, redisRepeats } from './repeats.js';

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
  /** The deployment's Redis (absent in embedded mode): the repeat rule's counter is one script call there. */
  redis?: RedisClient;
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
    repeats: d.redis ? redisRepeats(d.redis, d.config.redisPrefix, config.repeat) : limiterRepeats(d.limiter, config.repeat),
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
