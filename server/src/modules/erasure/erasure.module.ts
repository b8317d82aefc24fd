import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import { DeletionService, SWEEP_EVERY_MS } from './deletion.service.js';
import { erasureJobs } from './erasure.jobs.js';
import { erasureRoutes, erasureRouteDocs } from './erasure.routes.js';
import { ErasureStore } from './erasure.store.js';
import { ExportsService } from './exports.service.js';

type DeletionDeps = ConstructorParameters<typeof DeletionService>[0];
type ExportsDeps = ConstructorParameters<typeof ExportsService>[0];

/** Account deletion and data export (#18): owns account_exports; everything else through its owners' services. */
export function erasureModule(d: {
  config: Config;
  db: Database;
  jobs: JobQueue;
  logger: Logger;
  users: DeletionDeps['users'] & ExportsDeps['users'];
  auth: DeletionDeps['auth'];
  risk: DeletionDeps['risk'];
  notify: DeletionDeps['notify'];
  profiles: DeletionDeps['profiles'] & ExportsDeps['profiles'];
  media: DeletionDeps['media'] & ExportsDeps['media'];
  subscriptions: DeletionDeps['subscriptions'] & ExportsDeps['subscriptions'];
  audit: DeletionDeps['audit'];
  chat: ExportsDeps['chat'];
  ledger: ExportsDeps['ledger'];
  posts: ExportsDeps['posts'];
  payments: ExportsDeps['payments'];
  mail: ExportsDeps['mail'];
}) {
  const { config, jobs, logger } = d;
  const deletion = new DeletionService({ ...d, eraseDelayHours: config.erasure.eraseDelayHours });
  const exports = new ExportsService({ ...d, store: new ErasureStore(d.db), ttlDays: config.erasure.exportTtlDays });
  return {
    name: 'erasure',
    deletion,
    exports,
    routes: (guards) => Router().use('/me', erasureRoutes(guards, deletion, exports)),
    docs: mountedAt('/api/me', erasureRouteDocs, 'erasure'),
    jobs: erasureJobs({ deletion, exports, logger }),
    schedules: [{ name: 'account.sweep', payload: {}, everyMs: SWEEP_EVERY_MS }],
  } satisfies ModuleWithServices;
}
