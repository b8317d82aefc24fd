import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { duplicateForBlocking, hashTag, type RedisClient } from '../redis.js';
import { JOB_NAMES, type JobName, type JobPayloads } from '../../../shared/jobs.js';
import type { Logger } from '../logger.js';
import {
  DEFAULT_RETRY,
  type DeadLetterSink,
  type EnqueueOptions,
  type JobContext,
  type JobHandlers,
  type JobQueue,
  type QueueStats,
  type RetryPolicy,
  type StallPolicy,
} from './jobs.js';

/** BullMQ refuses ':' in custom job ids; our ids use it as a separator. */
const toBullId = (id: string) => id.replaceAll(':', '|');
const fromBullId = (id: string) => id.replaceAll('|', ':');

/** The reason BullMQ gives a job it fails for stalling more than maxStalledCount times. */
const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

/**
 * BullMQ's key prefix. In a Redis Cluster every key of a queue must share one hash slot (BullMQ's
 * scripts use several): the prefix is hash-tagged there, `<prefix>{bull}`, which puts every queue on
 * one master. A single Redis keeps `<prefix>bull`, so upgrading it strands no job.
 */
export const bullPrefix = (prefix: string, connection: RedisClient): string => `${prefix}${hashTag(connection, 'bull')}`;

/**
 * One BullMQ queue per job name, so each can be scaled and inspected on its own.
 *
 * Schedules live in Redis (job schedulers), so a Redis that loses its data
 * loses them: every schedule this process set is checked again whenever the
 * connection is ready after a reconnect, and every `scheduleCheckMs`
 * (a Redis flushed or failed over without a reconnect here), and re-created
 * if it is missing.
 */
export function createBullQueue(opts: {
  connection: RedisClient;
  prefix: string;
  logger: Logger;
  retry?: RetryPolicy;
  scheduleCheckMs?: number;
}): JobQueue {
  const { connection, logger } = opts;
  const retry = opts.retry ?? DEFAULT_RETRY;
  const queues = new Map<JobName, Queue>();
  const schedules = new Map<JobName, { payload: unknown; everyMs: number }>();
  let checker: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;

  const queue = (name: JobName) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: connection as ConnectionOptions, prefix: bullPrefix(opts.prefix, connection) });
      q.on('error', (err) => logger.error({ err, queue: name }, 'bullmq queue error'));
      queues.set(name, q);
    }
    return q;
  };

  const upsert = (name: JobName, payload: unknown, everyMs: number) =>
    queue(name).upsertJobScheduler(`every:${name}`, { every: everyMs }, {
      name,
      data: payload,
      opts: { attempts: retry.attempts, backoff: { type: 'exponential', delay: retry.backoffMs }, removeOnComplete: 100, removeOnFail: 100 },
    });

  /** Re-creates the schedules Redis no longer has. One pass at a time. */
  const ensureSchedules = (): Promise<void> => {
    checking ??= (async () => {
      for (const [name, s] of schedules) {
        if (await queue(name).getJobScheduler(`every:${name}`)) continue;
        await upsert(name, s.payload, s.everyMs);
        logger.warn({ job: name, everyMs: s.everyMs }, 'job schedule was missing from Redis (data lost): re-created');
      }
    })()
      .catch((err) => logger.error({ err }, 'job schedule check failed'))
      .finally(() => (checking = undefined));
    return checking;
  };
  // 'ready' fires on every (re)connect, after ioredis' ready check (a Redis still loading its data is waited for).
  const onReady = () => void (schedules.size > 0 && ensureSchedules());
  connection.on('ready', onReady);

  return {
    driver: 'bullmq',
    async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], o: EnqueueOptions = {}) {
      await queue(name).add(name, payload, {
        jobId: o.jobId ? toBullId(o.jobId) : undefined,
        delay: o.delayMs,
        attempts: retry.attempts,
        backoff: { type: 'exponential', delay: retry.backoffMs },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      });
    },
    async schedule(name, payload, everyMs) {
      await upsert(name, payload, everyMs);
      schedules.set(name, { payload, everyMs });
      if (!checker && opts.scheduleCheckMs) {
        checker = setInterval(() => void ensureSchedules(), opts.scheduleCheckMs);
        checker.unref();
      }
    },
    async counts() {
      const out: Record<string, number> = {};
      for (const name of JOB_NAMES) {
        const c = await queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed');
        for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
      }
      return out;
    },
    async stats() {
      const now = Date.now();
      return Promise.all(
        JOB_NAMES.map(async (name): Promise<QueueStats> => {
          const q = queue(name);
          const [c, oldest] = await Promise.all([q.getJobCounts('wait', 'active', 'delayed', 'failed'), q.getJobs(['wait'], 0, 0, true)]);
          const at = oldest[0]?.timestamp;
          return { name, waiting: c.wait ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0, oldestWaitingSeconds: at ? Math.max(0, (now - at) / 1000) : 0 };
        }),
      );
    },
    bullQueues: () => JOB_NAMES.map(queue),
    async close() {
      clearInterval(checker);
      connection.off('ready', onReady);
      await checking;
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}

/**
 * Runs every handler as a BullMQ worker. Each worker gets its own blocking
 * connection (duplicated). A job whose worker dies mid-job is found by the
 * stalled check of any live worker (`stall`) and run again; every job that
 * fails for good, stalled ones included, goes to `onDead`.
 */
export function startBullWorkers(opts: {
  connection: RedisClient;
  prefix: string;
  handlers: JobHandlers;
  logger: Logger;
  onDead: DeadLetterSink;
  stall: StallPolicy;
  concurrency?: number;
}): { close(): Promise<void> } {
  const { logger, stall } = opts;
  const connections: RedisClient[] = [];
  const workers = JOB_NAMES.map((name) => {
    const handler = opts.handlers[name] as (p: unknown, c: JobContext) => Promise<void>;
    // Blocking commands wait for Redis to come back: no command timeout, no fail-fast, whatever the original does.
    const connection = duplicateForBlocking(opts.connection);
    connection.on('error', (err) => logger.error({ err, queue: name }, 'bullmq worker redis error'));
    connections.push(connection);
    const worker = new Worker(name, (job) => handler(job.data, { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 }), {
      connection: connection as ConnectionOptions,
      prefix: bullPrefix(opts.prefix, opts.connection),
      concurrency: opts.concurrency ?? 10,
      lockDuration: stall.lockMs,
      stalledInterval: stall.stalledIntervalMs,
      maxStalledCount: stall.maxStalledCount,
    });
    worker.on('error', (err) => logger.error({ err, queue: name }, 'bullmq worker error'));
    worker.on('stalled', (jobId) =>
      logger.warn({ queue: name, jobId: fromBullId(jobId) }, 'job stalled (its worker stopped mid-job): back in the queue to run again'),
    );
    worker.on('failed', (job, err) => {
      if (!job) return;
      // moveToFailed sets finishedOn only when the job is not going to be retried.
      const final = job.finishedOn !== undefined;
      logger.warn({ err, queue: name, jobId: job.id, attempts: job.attemptsMade, final }, 'job failed');
      if (!final) return;
      opts
        .onDead({
          name,
          jobId: fromBullId(job.id ?? 'unknown'),
          payload: job.data,
          error: err.message,
          attempts: job.attemptsMade,
          stalled: err.message === STALLED_TOO_OFTEN,
          enqueuedAt: new Date(job.timestamp),
        })
        .catch((e) => logger.error({ err: e, queue: name, jobId: job.id }, 'could not dead-letter a failed job'));
    });
    return worker;
  });
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
