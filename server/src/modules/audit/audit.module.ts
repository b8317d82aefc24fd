import type { Database } from '../../db/database.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import { auditJobs } from './audit.jobs.js';
import { AuditService } from './audit.service.js';
import { AuditStore } from './audit.store.js';

export function auditModule(d: { db: Database; jobs: JobQueue; logger: Logger }) {
  const store = new AuditStore(d.db);
  const service = new AuditService({ store, jobs: d.jobs, logger: d.logger });
  return { name: 'audit', service, store, jobs: auditJobs(store) } satisfies ModuleWithServices;
}
