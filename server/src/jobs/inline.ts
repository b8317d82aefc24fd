import { randomUUID } from 'node:crypto';
import type { JobName, JobPayloads } from '../../../shared/jobs.js';
import type { Logger } from '../logger.js';
import { DEFAULT_RETRY, isUnrecoverable, type DeadLetterSink, type EnqueueOptions, type JobContext, type JobHandlers, type JobQueue, type RetryPolicy } from './jobs.js';

/**
 * The embedded-mode job runner: the same handlers BullMQ runs, in this
 * process, with the same attempts, exponential backoff and job-id dedupe.
 * Jobs not yet run when the process stops are lost, which is why the cluster
 * uses BullMQ; handlers are written to be safe either way.
 */
export function createInlineQueue(opts: { logger: Logger; handlers?: JobHandlers; retry?: RetryPolicy }): JobQueue & {
  /** Handlers, and where jobs that fail for good go. */
  attach(h: JobHandlers, onDead?: DeadLetterSink): void;
} {
  const { logger } = opts;
  const retry = opts.retry ?? DEFAULT_RETRY;
  // Handlers are attached after the services they call are built (the services enqueue into this queue).
  let handlers: JobHandlers | undefined = opts.handlers;
  let onDead: DeadLetterSink | undefined;
  const seen = new Map<string, number>(); // jobId -> enqueued at, kept for an hour
  const pending = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const intervals = new Map<string, NodeJS.Timeout>();
  const stats = { waiting: 0, active: 0, completed: 0, failed: 0 };
  // The same per job name, for the queue metrics.
  const byName = new Map<JobName, { waiting: number; active: number; failed: number }>();
  const of = (name: JobName) => {
    let c = byName.get(name);
    if (!c) byName.set(name, (c = { waiting: 0, active: 0, failed: 0 }));
    return c;
  };
  let closed = false;

  const run = async (name: JobName, payload: unknown, jobId: string | undefined, enqueuedAt: Date) => {
    stats.waiting--;
    stats.active++;
    of(name).waiting--;
    of(name).active++;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          if (!handlers) throw new Error('inline job queue has no handlers attached');
          await (handlers[name] as (p: unknown, c: JobContext) => Promise<void>)(payload, { attempt, maxAttempts: retry.attempts });
          stats.completed++;
          return;
        } catch (err) {
          const exhausted = attempt >= retry.attempts || isUnrecoverable(err);
          const final = exhausted || closed;
          logger.warn({ err, job: name, jobId, attempt, final }, 'job failed');
          if (final) {
            stats.failed++;
            of(name).failed++;
            // A job only cut short by closing is not dead: it was never given its attempts.
            if (exhausted) {
              const failure = { name, jobId: jobId ?? randomUUID(), payload, error: err instanceof Error ? err.message : String(err), attempts: attempt, stalled: false, enqueuedAt };
              await onDead?.(failure).catch((e) => logger.error({ err: e, job: name, jobId }, 'could not dead-letter a failed job'));
            }
            return;
          }
          await new Promise((r) => setTimeout(r, retry.backoffMs * 2 ** (attempt - 1)));
        }
      }
    } finally {
      stats.active--;
      of(name).active--;
    }
  };

  const start = (name: JobName, payload: unknown, jobId: string | undefined, enqueuedAt: Date) => {
    const p = run(name, payload, jobId, enqueuedAt).finally(() => pending.delete(p));
    pending.add(p);
  };

  return {
    driver: 'inline',
    attach(h, sink) {
      handlers = h;
      onDead = sink;
    },
    async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], o: EnqueueOptions = {}) {
      if (closed) throw new Error('job queue is closed');
      if (o.jobId) {
        const now = Date.now();
        if (seen.has(o.jobId)) return;
        seen.set(o.jobId, now);
        if (seen.size > 10_000) {
          for (const [id, at] of seen) if (now - at > 3_600_000) seen.delete(id);
        }
      }
      stats.waiting++;
      of(name).waiting++;
      const enqueuedAt = new Date();
      // Never run in the caller's tick: the caller's transaction has committed, its response comes first.
      const timer = setTimeout(() => {
        timers.delete(timer);
        start(name, structuredClone(payload), o.jobId, enqueuedAt);
      }, o.delayMs ?? 0);
      timers.add(timer);
    },
    async schedule(name, payload, everyMs) {
      clearInterval(intervals.get(name));
      const timer = setInterval(() => {
        // One run at a time per schedule, as BullMQ's scheduler would.
        if (stats.active + stats.waiting > 1000) return;
        this.enqueue(name, payload).catch((err) => logger.error({ err, job: name }, 'scheduled enqueue failed'));
      }, everyMs);
      timer.unref();
      intervals.set(name, timer);
    },
    async counts() {
      return { ...stats };
    },
    // In-process jobs wait only for their delay (counted as waiting here): there is no backlog to age.
    async stats() {
      return [...byName].map(([name, c]) => ({ name, waiting: c.waiting, active: c.active, delayed: 0, failed: c.failed, oldestWaitingSeconds: 0 }));
    },
    bullQueues: () => [],
    async close() {
      closed = true;
      for (const t of intervals.values()) clearInterval(t);
      // Delayed jobs that have not started are dropped; started ones finish.
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...pending]);
    },
  };
}
