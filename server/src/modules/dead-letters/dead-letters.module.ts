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
export function deadLettersModule(d: { db: Database; jobs: JobQueue; logger: Logger; audit: AuditService; hooks: DeadLetterHooks; retentionDays: number }) {
  const store = new DeadLettersStore(d.db);
  const service = new DeadLettersService({ store, jobs: d.jobs, logger: d.logger, hooks: d.hooks });
  return {
    name: 'dead-letters',
    service,
    routes: (guards) => Router().use('/admin/jobs', deadLetterRoutes({ guards, deadLetters: service, audit: d.audit })),
    docs: mountedAt('/api/admin/jobs', deadLetterRouteDocs, 'admin'),
    jobs: {
      // In batches, so one run never holds a long delete; the next run finishes a backlog.
      'dead-letters.prune': async () => {
        const before = new Date(Date.now() - d.retentionDays * 86_400_000);
        let pruned = 0;
        for (let n = -1; n !== 0 && pruned < 100_000; pruned += n) n = await store.pruneRetried(before, 1000);
        if (pruned > 0) d.logger.info({ pruned, retentionDays: d.retentionDays }, 'retried dead letters pruned');
      },
    },
    schedules: [{ name: 'dead-letters.prune', payload: {}, everyMs: 86_400_000 }],
  } satisfies ModuleWithServices;
}
