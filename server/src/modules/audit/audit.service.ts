import type { JobPayloads } from '../../../../shared/jobs.js';
import { Batcher } from '../../batcher.js';
import type { Queryable } from '../../db/database.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { AuditStore } from './audit.store.js';

type Entry = Omit<JobPayloads['audit.record'], 'at'>;

/**
 * Audit entries go straight to PostgreSQL, off the request path: the entries of a short window are written
 * by one multi-row INSERT (group commit), so a login costs no round trip of its own. Only when that write
 * fails (PostgreSQL unreachable) is the entry handed to the `audit.record` job, which retries it; either
 * way `record` never throws (a login must not fail because the audit trail is slow). A decision that must
 * not exist without its entry (an admin's) writes it in its own transaction with `recordIn`.
 *
 * Entries used to go through the job queue first, and the ones queued when Redis restarted empty were lost.
 */
export class AuditService {
  private readonly batcher: Batcher<JobPayloads['audit.record'], void>;

  constructor(
    private readonly d: { store: AuditStore; jobs: JobQueue; logger: Logger },
  ) {
    this.batcher = new Batcher(async (entries) => {
      await d.store.insertMany(entries);
      return entries.map(() => ({ ok: true as const, value: undefined }));
    }, { windowMs: 5, maxItems: 200, maxConcurrent: 2 });
  }

  record(entry: Entry): void {
    const payload = { ...entry, at: new Date().toISOString() };
    this.batcher.submit(payload).catch((err: unknown) => {
      this.d.logger.warn({ err, key: entry.key }, 'audit write failed: queued for retry');
      this.d.jobs
        .enqueue('audit.record', payload, { jobId: `audit:${entry.key}` })
        .catch((e: unknown) => this.d.logger.error({ err: e, key: entry.key }, 'audit entry lost: neither written nor queued'));
    });
  }

  /** The entry in the caller's transaction: it commits with the decision it records, or neither does. */
  async recordIn(q: Queryable, entry: Entry): Promise<void> {
    await this.d.store.insert({ ...entry, at: new Date().toISOString() }, q);
  }
}
