import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createBacking, startInProcess } from '../support/pairly.js';
import { startPrivateRedis } from '../support/private-redis.js';

/**
 * `node --import tsx test/load/redis-restart.ts [rounds]`: how long after an
 * empty Redis comes back (SIGKILL, started again on the same port) a cluster
 * node running workers has re-created every recurring job schedule. A private
 * redis-server is used; the shared one is never touched.
 */
const rounds = Number(process.argv[2] ?? 5);
const SCHEDULED = ['ledger.expire-holds', 'ledger.verify', 'payments.reconcile', 'payments.requeue-stale'];

const [backing, redis] = await Promise.all([createBacking(), startPrivateRedis()]);
const node = await startInProcess({ ...backing.env, REDIS_URL: redis.url, RUN_WORKERS: 'true', JOB_SCHEDULE_CHECK_SECONDS: '86400' });
const probe = new Redis(redis.url, { maxRetriesPerRequest: null });
probe.on('error', () => undefined);
const queues = SCHEDULED.map((name) => new Queue(name, { connection: probe, prefix: `${backing.redisPrefix}bull` }));
const allThere = async () => (await Promise.all(queues.map((q, i) => q.getJobScheduler(`every:${SCHEDULED[i]}`).catch(() => undefined)))).every(Boolean);

const times: number[] = [];
try {
  for (let i = 0; i < rounds; i++) {
    while (!(await allThere())) await new Promise((r) => setTimeout(r, 10));
    await redis.kill();
    await redis.start();
    const back = performance.now();
    while (!(await allThere())) await new Promise((r) => setTimeout(r, 10));
    times.push(performance.now() - back);
  }
  times.sort((a, b) => a - b);
  console.log(`schedules re-created after an empty Redis came back, ${rounds} rounds: ms ${times.map((t) => t.toFixed(0)).join(', ')} (median ${times[Math.floor(times.length / 2)]!.toFixed(0)})`);
} finally {
  await Promise.all(queues.map((q) => q.close()));
  probe.disconnect();
  await node.stop();
  await redis.kill();
  await backing.cleanup();
}
