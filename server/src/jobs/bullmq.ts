import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_NAMES, type JobName, type JobPayloads } from '../../../shared/jobs.js';
import type { Logger } from '../logger.js';
import { DEFAULT_RETRY, type EnqueueOptions, type JobContext, type JobHandlers, type JobQueue, type RetryPolicy } from './jobs.js';

/** BullMQ refuses ':' in custom job ids; our ids use it as a separator. */
const toBullId = (id: string) => id.replaceAll(':', '|');

/** One BullMQ queue per job name, so each can be scaled and inspected on its own. */
export function createBullQueue(opts: { connection: Redis; prefix: string; logger: Logger; retry?: RetryPolicy }): JobQueue {
  const retry = opts.retry ?? DEFAULT_RETRY;
  const queues = new Map<JobName, Queue>();
  const queue = (name: JobName) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: opts.connection as ConnectionOptions, prefix: `${opts.prefix}bull` });
      q.on('error', (err) => opts.logger.error({ err, queue: name }, 'bullmq queue error'));
      queues.set(name, q);
    }
    return q;
  };

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
      await queue(name).upsertJobScheduler(`every:${name}`, { every: everyMs }, {
        name,
        data: payload,
        opts: { attempts: retry.attempts, backoff: { type: 'exponential', delay: retry.backoffMs }, removeOnComplete: 100, removeOnFail: 100 },
      });
    },
    async counts() {
      const out: Record<string, number> = {};
      for (const name of JOB_NAMES) {
        const c = await queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed');
        for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
      }
      return out;
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}

/** Runs every handler as a BullMQ worker. Each worker gets its own blocking connection (duplicated). */
export function startBullWorkers(opts: {
  connection: Redis;
  prefix: string;
  handlers: JobHandlers;
  logger: Logger;
  concurrency?: number;
}): { close(): Promise<void> } {
  const connections: Redis[] = [];
  const workers = JOB_NAMES.map((name) => {
    const handler = opts.handlers[name] as (p: unknown, c: JobContext) => Promise<void>;
    // Blocking commands wait for Redis to come back: no command timeout, no fail-fast, whatever the original does.
    const connection = opts.connection.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false, enableOfflineQueue: true, commandTimeout: undefined });
    connection.on('error', (err) => opts.logger.error({ err, queue: name }, 'bullmq worker redis error'));
    connections.push(connection);
    const worker = new Worker(name, (job) => handler(job.data, { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 }), {
      connection: connection as ConnectionOptions,
      prefix: `${opts.prefix}bull`,
      concurrency: opts.concurrency ?? 10,
    });
    worker.on('error', (err) => opts.logger.error({ err, queue: name }, 'bullmq worker error'));
    worker.on('failed', (job, err) =>
      opts.logger.warn({ err, queue: name, jobId: job?.id, attempts: job?.attemptsMade }, 'job failed'),
    );
    return worker;
  });
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
