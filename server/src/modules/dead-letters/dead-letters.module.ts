import { mountedAt } from '../../http/route-docs.js';
import { Router } from 'express';
import type { Database } from '../../db/database.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { AuditService } from '../audit/audit.service.js';
import { deadLetterRoutes, deadLetterRouteDocs } from './dead-letters.routes.js';
import { DeadLettersService, type DeadLetterHooks } from './dead-letters.service.js';
import { DeadLettersStore } from './dead-letters.store.js';

/** Where every job that fails for good lands, whichever driver ran it; `hooks` let a job's module react. */
export function deadLettersModule(d: { db: Database; jobs: JobQueue; logger: Logger; audit: AuditService; hooks: DeadLetterHooks }) {
  const service = new DeadLettersService({ store: new DeadLettersStore(d.db), jobs: d.jobs, logger: d.logger, hooks: d.hooks });
  return {
    name: 'dead-letters',
    service,
    routes: (guards) => Router().use('/admin/jobs', deadLetterRoutes({ guards, deadLetters: service, audit: d.audit })),
    docs: mountedAt('/api/admin/jobs', deadLetterRouteDocs, 'admin'),
  } satisfies ModuleWithServices;
}
