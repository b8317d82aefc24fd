import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { AuditService } from '../audit/audit.service.js';
import { analyticsJobs } from './analytics.jobs.js';
import { AnalyticsRecorder, DEFAULT_RECORDER_OPTIONS, type RecorderOptions } from './analytics.recorder.js';
import { analyticsRouteDocs, analyticsRoutes } from './analytics.routes.js';
import { AnalyticsService } from './analytics.service.js';
import { AnalyticsStore } from './analytics.store.js';

/** The scheduled roll-up: hourly, so today's figures fill in through the day; each run replaces the days it covers. */
const ROLLUP_EVERY_MS = 3_600_000;

/**
 * Product analytics: the event log other modules record into (through `recorder`, after their commits)
 * and its daily roll-ups. Owns analytics_events and analytics_daily; reads the ledger's and creators'
 * published views for revenue and creator statistics.
 */
export function analyticsModule(d: { db: Database; jobs: JobQueue; logger: Logger; audit: Pick<AuditService, 'record'>; recorder?: Partial<RecorderOptions> }) {
  const store = new AnalyticsStore(d.db);
  const recorder = new AnalyticsRecorder({ store, logger: d.logger, options: { ...DEFAULT_RECORDER_OPTIONS, ...d.recorder } });
  const service = new AnalyticsService({ store, jobs: d.jobs });
  return {
    name: 'analytics',
    service,
    recorder,
    routes: (guards) => analyticsRoutes({ guards, analytics: service, audit: d.audit }),
    docs: mountedAt('/api', analyticsRouteDocs, 'analytics'),
    jobs: analyticsJobs({ analytics: service, logger: d.logger }),
    schedules: [{ name: 'analytics.rollup', payload: {}, everyMs: ROLLUP_EVERY_MS }],
    stop: () => recorder.stop(),
  } satisfies ModuleWithServices;
}
