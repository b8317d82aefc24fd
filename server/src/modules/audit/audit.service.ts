import type { JobPayloads } from '../../../../shared/jobs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';

type Entry = Omit<JobPayloads['audit.record'], 'at'>;

/**
 * Audit entries are written by a job, off the request path. Enqueue failures
 * are logged, never thrown: a login must not fail because the audit queue is slow.
 */
export class AuditService {
  constructor(
    private readonly jobs: JobQueue,
    private readonly logger: Logger,
  ) {}

  record(entry: Entry): void {
    const payload = { ...entry, at: new Date().toISOString() };
    this.jobs
      .enqueue('audit.record', payload, { jobId: `audit:${entry.key}` })
      .catch((err) => this.logger.error({ err, key: entry.key }, 'audit enqueue failed'));
  }
}
