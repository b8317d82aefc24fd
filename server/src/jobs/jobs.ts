import type { JobName, JobPayloads } from '../../../shared/jobs.js';

export interface JobContext {
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

/** A handler knows its attempt so that the last failure can dead-letter its subject. */
export type JobHandler<N extends JobName> = (payload: JobPayloads[N], ctx: JobContext) => Promise<void>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

export interface EnqueueOptions {
  /** Deterministic id: enqueuing the same id twice runs the job once. */
  jobId?: string;
  delayMs?: number;
}

/**
 * Where background work goes. Drivers: `bullmq` (Redis; run by `workers/` or
 * in-process when RUN_WORKERS is set) and `inline` (embedded mode, in-process,
 * with the same retry rules).
 */
export interface JobQueue {
  readonly driver: 'bullmq' | 'inline';
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N], opts?: EnqueueOptions): Promise<void>;
  /** Runs the job every `everyMs`; idempotent (every node of a cluster may call it, one job runs per interval). */
  schedule<N extends JobName>(name: N, payload: JobPayloads[N], everyMs: number): Promise<void>;
  /** Counts for the admin view and readiness. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Retry policy of every job: attempts in all, and the first backoff (doubling each time). */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 1000 };
