import type { Queue } from 'bullmq';
import type { JobName, JobPayloads } from '../../../shared/jobs.js';

export interface JobContext {
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

/** A handler knows its attempt so that the last failure can dead-letter its subject. */
export type JobHandler<N extends JobName> = (payload: JobPayloads[N], ctx: JobContext) => Promise<void>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

/** A recurring job: what JobQueue.schedule runs every `everyMs`. */
export type JobSchedule = { [N in JobName]: { name: N; payload: JobPayloads[N]; everyMs: number } }[JobName];

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
  /** Per job name: jobs by state and how long the oldest waiting one has waited (the queue metrics). */
  stats(): Promise<QueueStats[]>;
  /** BullMQ's queue objects, for the queues console (bull-board); none where jobs run in-process. */
  bullQueues(): Queue[];
  close(): Promise<void>;
}

export interface QueueStats {
  name: JobName;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Seconds the oldest job ready to run has waited (0 when none waits). */
  oldestWaitingSeconds: number;
}

/** Retry policy of every job: attempts in all, and the first backoff (doubling each time). */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 1000 };

/**
 * BullMQ's UnrecoverableError (a handler's way to say "do not retry"), told by its name so that the inline
 * driver of an embedded server need not load BullMQ to recognise it.
 */
export function isUnrecoverable(err: unknown): boolean {
  return err instanceof Error && err.name === 'UnrecoverableError';
}

/**
 * A job that will not run again by itself: its attempts are used up, it
 * threw an UnrecoverableError, or its worker died under it more often than
 * JOB_MAX_STALLED_COUNT allows. Every driver hands each one to a
 * DeadLetterSink (the dead-letters module), whatever the job.
 */
export interface JobFailure {
  name: JobName;
  /** The job's id in its queue (ours when it was enqueued with one). */
  jobId: string;
  payload: unknown;
  error: string;
  attempts: number;
  /** Failed because it stalled too often, not because its handler threw. */
  stalled: boolean;
  enqueuedAt: Date;
}

export type DeadLetterSink = (failure: JobFailure) => Promise<void>;

/** How BullMQ workers notice a worker that died mid-job (see README: JOB_LOCK_MS and the two after it). */
export interface StallPolicy {
  /** A job's lock lasts this long and is renewed at half of it while its handler runs. */
  lockMs: number;
  /** How often each worker looks for active jobs whose lock has lapsed. */
  stalledIntervalMs: number;
  /** Recoveries allowed per job; one more stall dead-letters it. */
  maxStalledCount: number;
}

/*
 * Delayed work and what repairs it when it is lost: BullMQ's keys vanish
 * with a Redis that restarts without persistence (or is flushed, or fails
 * over to an empty replica), and the inline driver's timers die with the
 * process. Recurring schedules are re-asserted on every reconnect and every
 * JOB_SCHEDULE_CHECK_SECONDS (bullmq.ts); a re-created schedule runs at once,
 * so the sweeps below start repairing straight away.
 *
 * | job (delay)                                   | if lost, repaired by                                                       |
 * |-----------------------------------------------|----------------------------------------------------------------------------|
 * | ledger.expire-holds, ledger.verify,           | the schedule itself: re-asserted (upsertJobScheduler) on reconnect and     |
 * | payments.reconcile, payments.requeue-stale,   | every JOB_SCHEDULE_CHECK_SECONDS; a hold whose sweep was missed is voided  |
 * | calls.media-sweep (every N s)                 | by the next one (holds carry their own expiry)                             |
 * | calls.ring-timeout (CALL_RING_SECONDS)        | calls.media-sweep: a call ringing past its time ends as no_answer          |
 * | calls.tick n (end of minute n; also its       | calls.media-sweep: a tick overdue by 2 sweep intervals is enqueued again   |
 * | deferred `:after:` and `:rescue` copies)      | (ticks are idempotent per minute)                                          |
 * | sfu.destroy-room (retry backoff)              | calls.media-sweep: rooms whose call or session has ended are destroyed     |
 * | payments.process-event (queued, or in retry   | payments.requeue-stale (every PAYMENTS_REQUEUE_SECONDS): stored events     |
 * | backoff)                                      | still pending after a minute are enqueued again; processing is exactly-once|
 * | payments.reconcile run by an admin            | nothing: the admin runs it again (the hourly schedule also covers it)      |
 * | audit.record (queued, or in retry backoff)    | only a fallback now: entries are written to PostgreSQL directly (the audit |
 * |                                               | service's group commit); the job holds those whose write failed, and is   |
 * |                                               | lost with Redis only if PostgreSQL and Redis failed together              |
 * | media.process (queued, or in retry backoff)   | media.sweep (every MEDIA_SWEEP_SECONDS): items still pending 3 processing  |
 * |                                               | timeouts (at least 15 min) after their confirm are enqueued again; a      |
 * |                                               | confirm repeated by the client enqueues it again at once (same job id)    |
 * | media.sweep                                   | the schedule itself (set where media storage is configured)                |
 * | creators.renew (every CREATOR_RENEW_SECONDS)  | the schedule itself: what is due is found again in PostgreSQL each run     |
 * |                                               | (renewals are idempotent per period, key sub:<id>:<period>)               |
 * | posts.fan-out (delayed to publishing time,    | posts.fanout-sweep (every FEED_FANOUT_SWEEP_SECONDS): posts published 5+  |
 * | or in retry backoff)                          | minutes ago whose fan-out has not finished are enqueued again; a run      |
 * |                                               | resumes after the last user written (posts.fanout_after)                  |
 * | posts.fanout-sweep                            | the schedule itself                                                        |
 * | mass-messages.deliver (delayed to its sending | mass-messages.sweep (every MASS_MESSAGE_SWEEP_SECONDS): due mass messages |
 * | time, or in retry backoff)                    | untouched for a sweep period are enqueued again; a run resumes after the  |
 * |                                               | last user reached (mass_messages.after), recipients are unique            |
 * | mass-messages.sweep                           | the schedule itself                                                        |
 * | payouts.send (queued, or in retry backoff)    | payouts.sweep (every PAYOUT_SWEEP_SECONDS): payouts still approved a      |
 * |                                               | minute after approval are enqueued again; sending is idempotent on the    |
 * |                                               | payout id at Pairly and at the provider (its idempotency key)             |
 * | payouts.sweep                                 | the schedule itself: due automatic payouts are found again in PostgreSQL  |
 * | mail.send (queued, or in retry backoff)       | nothing: a mail holds a link's token, which only its hash in PostgreSQL   |
 * |                                               | outlives, so it cannot be rebuilt; the person asks again (resend the      |
 * |                                               | verification, forgot password, change the address again), each of which |
 * |                                               | mails a fresh link. A notice (new device, password changed) is lost.     |
 * | account.erase (delayed                       | account.sweep (every 15 min): deleted accounts past their delay and not   |
 * | ACCOUNT_ERASE_DELAY_HOURS, or in retry)       | anonymised yet (users.erased_at) are enqueued again; the erase is         |
 * |                                               | idempotent and anonymises the row last                                    |
 * | account.export (queued, or in retry backoff)  | account.sweep: exports not built a minute after the request are enqueued  |
 * |                                               | again; a built one is never rebuilt (ready_at)                            |
 * | account.sweep                                 | the schedule itself                                                        |
 * | notifications.digest                          | the schedule itself: what it did not mail stays unmailed in PostgreSQL     |
 * |                                               | (emailed_at) and goes into the next run's digest                           |
 * | notifications.push (queued, or in retry)      | nothing: a push only repeats a stored notification, which the bell and    |
 * |                                               | the mail digest still show                                                 |
 * | analytics.rollup (scheduled hourly, or one    | the schedule itself: every run rolls up today, yesterday and the days     |
 * | day an admin asked for)                       | whose D1/D7/D30 just completed, from the event log; an admin's lost run   |
 * |                                               | is asked for again (days are replaced, so runs repeat harmlessly)         |
 *
 * Calls exist only where an SFU is configured, which is also where
 * calls.media-sweep is scheduled, so every call job has its repair.
 */
