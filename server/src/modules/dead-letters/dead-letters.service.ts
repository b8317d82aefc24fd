import type { JobDeadLetterView } from '../../../../shared/admin.js';
import { isJobName, type JobName, type JobPayloads } from '../../../../shared/jobs.js';
import { AppError } from '../../errors.js';
import type { JobFailure, JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { DeadLetterRow, DeadLettersStore } from './dead-letters.store.js';

/**
 * What a job's own module does when one of its jobs dies or is retried by
 * an admin: payments marks the event dead (so it is not re-queued forever)
 * and revives it on retry. Jobs without hooks are simply enqueued again.
 */
export type DeadLetterHooks = {
  [N in JobName]?: {
    dead?(payload: JobPayloads[N], error: string): Promise<void>;
    /** Replaces the plain re-enqueue. */
    retry?(payload: JobPayloads[N]): Promise<void>;
  };
};

/** A contract with the admin pages (shared/admin.ts). */
export type DeadLetterView = JobDeadLetterView;

const toView = (r: DeadLetterRow): DeadLetterView => ({
  id: r.id,
  job: r.job_name,
  jobId: r.job_id,
  payload: r.payload,
  error: r.error,
  attempts: r.attempts,
  stalled: r.stalled,
  enqueuedAt: r.enqueued_at.toISOString(),
  failedAt: r.failed_at.toISOString(),
  retriedAt: r.retried_at?.toISOString() ?? null,
  retriedBy: r.retried_by,
});

/** The one dead-letter path: every job driver hands its final failures to record(). */
export class DeadLettersService {
  constructor(private readonly d: { store: DeadLettersStore; jobs: JobQueue; logger: Logger; hooks: DeadLetterHooks }) {}

  /** The DeadLetterSink. Runs its job's `dead` hook once per failure. */
  async record(f: JobFailure): Promise<void> {
    if (!(await this.d.store.insert(f))) return;
    this.d.logger.error({ job: f.name, jobId: f.jobId, attempts: f.attempts, stalled: f.stalled, error: f.error }, 'job dead-lettered');
    const dead = this.d.hooks[f.name]?.dead as ((p: unknown, e: string) => Promise<void>) | undefined;
    await dead?.(f.payload, f.error);
  }

  openCount(): Promise<number> {
    return this.d.store.openCount();
  }

  async list(f: { open: boolean; limit: number }): Promise<DeadLetterView[]> {
    return (await this.d.store.list(f)).map(toView);
  }

  /**
   * Runs the job again under a new id (the dead one is still known to its
   * queue). Retrying one already retried does nothing and says so.
   */
  async retry(id: number, by: string): Promise<{ queued: boolean; deadLetter: DeadLetterView }> {
    const row = await this.d.store.get(id);
    if (!row) throw new AppError('NOT_FOUND', 'no such dead letter');
    if (row.retried_at) return { queued: false, deadLetter: toView(row) };
    if (!isJobName(row.job_name)) throw new AppError('VALIDATION_FAILED', `job "${row.job_name}" no longer exists`);
    const name = row.job_name;
    const hook = this.d.hooks[name]?.retry as ((p: unknown) => Promise<void>) | undefined;
    if (hook) await hook(row.payload);
    // Deterministic: a double click enqueues one job.
    else await this.d.jobs.enqueue(name, row.payload as JobPayloads[typeof name], { jobId: `dead-letter:${row.id}:retry` });
    const queued = await this.d.store.markRetried(id, by);
    return { queued, deadLetter: toView((await this.d.store.get(id))!) };
  }

  /** Marks retried the dead letters of a subject retried through its module's own path. */
  retriedElsewhere<N extends JobName>(name: N, match: Partial<JobPayloads[N]>, by: string): Promise<void> {
    return this.d.store.markRetriedWhere(name, match as Record<string, unknown>, by);
  }
}
