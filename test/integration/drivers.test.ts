import { afterAll, describe, expect, it } from 'vitest';
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobPayloads } from '../../shared/jobs.js';
import type { Database } from '../../server/src/db/database.js';
import { migrate, MIGRATIONS_DIR } from '../../server/src/db/migrate.js';
import { readdirSync } from 'node:fs';
import { createBullQueue, startBullWorkers } from '../../server/src/jobs/bullmq.js';
import { createInlineQueue } from '../../server/src/jobs/inline.js';
import type { DeadLetterSink, JobFailure, JobHandlers, JobQueue } from '../../server/src/jobs/jobs.js';
import { createLogger } from '../../server/src/logger.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../support/services.js';
import { waitFor } from '../support/client.js';
import { bothDatabases } from '../support/databases.js';

/**
 * The embedded and cluster drivers must behave the same: one suite, run
 * against each. Only the edges differ between the modes, never the rules.
 */
const logger = createLogger({ level: 'silent', nodeId: 'drivers' });
const ALL_MIGRATIONS = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const databases = bothDatabases({ tag: 'suite', logger, poolSize: 4, cleanups });

describe.each(databases)('Database driver: %s', (_name, open) => {
  let db: Database;

  it('migrates, and migrating again applies nothing', async () => {
    db = await open();
    expect(await migrate(db, logger)).toEqual(ALL_MIGRATIONS);
    expect(await migrate(db, logger)).toEqual([]);
    // Creating a fresh PGlite database and migrating it is seconds of CPU in WebAssembly; give a busy machine room.
  }, 90_000);

  it('returns int8 as numbers and counts affected rows', async () => {
    const { rows } = await db.query<{ n: number }>('SELECT 9007199254740991::int8 AS n');
    expect(rows[0]!.n).toBe(Number.MAX_SAFE_INTEGER);
    await expect(db.query('SELECT 9007199254740993::int8 AS n')).rejects.toThrow(/safe integer/);
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, v int8 NOT NULL)');
    const ins = await db.query('INSERT INTO t VALUES (1, 10), (2, 20)');
    expect(ins.rowCount).toBe(2);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.transaction(async (tx) => {
      await tx.query('UPDATE t SET v = v + 1 WHERE id = 1');
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('UPDATE t SET v = v + 100 WHERE id = 2');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await db.query<{ id: number; v: number }>('SELECT id, v FROM t ORDER BY id');
    expect(rows).toEqual([
      { id: 1, v: 11 },
      { id: 2, v: 20 },
    ]);
  });

  it("applies a transaction's local settings inside it only, and runs named statements", async () => {
    const setting = (q: Pick<Database, 'query'>) =>
      q.query<{ mode: string; hash: string }>("SELECT current_setting('plan_cache_mode') AS mode, current_setting('enable_hashjoin') AS hash", [], { name: 'drivers.settings' });
    const inside = await db.transaction((tx) => setting(tx), { local: { plan_cache_mode: 'force_generic_plan', enable_hashjoin: 'off' } });
    expect(inside.rows).toEqual([{ mode: 'force_generic_plan', hash: 'off' }]);
    // SET LOCAL ends with its transaction: the connection it ran on (PGlite's only one) is back to the defaults.
    expect((await setting(db)).rows).toEqual([{ mode: 'auto', hash: 'on' }]);
    expect((await db.transaction((tx) => setting(tx))).rows).toEqual([{ mode: 'auto', hash: 'on' }]);
  });

  it('enforces the schema constraints the services rely on', async () => {
    await db.query(`INSERT INTO users (email, password_hash, display_name, birthdate, role) VALUES ('x@y.z', 'h', 'X', '1990-01-01', 'fan')`);
    await expect(
      db.query(`INSERT INTO users (email, password_hash, display_name, birthdate, role) VALUES ('x@y.z', 'h', 'X', '1990-01-01', 'fan')`),
    ).rejects.toThrow(/unique|duplicate/i);
    await expect(
      db.query(`INSERT INTO users (email, password_hash, display_name, birthdate, role) VALUES ('Upper@y.z', 'h', 'X', '1990-01-01', 'fan')`),
    ).rejects.toThrow(/check/i);
    await expect(
      db.query(`INSERT INTO users (email, password_hash, display_name, birthdate, role) VALUES ('r@y.z', 'h', 'X', '1990-01-01', 'root')`),
    ).rejects.toThrow(/check/i);
  });
});

type Calls = { key: string; attempt: number }[];

function recordingHandlers(calls: Calls, behaviour: (key: string, attempt: number) => void): JobHandlers {
  const unexpected = async () => {
    throw new Error('this suite enqueues only audit.record');
  };
  return {
    'ledger.expire-holds': unexpected,
    'ledger.verify': unexpected,
    'dead-letters.prune': unexpected,
    'creators.renew': unexpected,
    'payments.process-event': unexpected,
    'payments.reconcile': unexpected,
    'payments.requeue-stale': unexpected,
    'calls.ring-timeout': unexpected,
    'calls.media-sweep': unexpected,
    'sfu.destroy-room': unexpected,
    'calls.tick': unexpected,
    'media.process': unexpected,
    'media.sweep': unexpected,
    'posts.fan-out': unexpected,
    'posts.fanout-sweep': unexpected,
    'mass-messages.deliver': unexpected,
    'mass-messages.sweep': unexpected,
    'payouts.send': unexpected,
    'payouts.sweep': unexpected,
    'mail.send': unexpected,
    'account.erase': unexpected,
    'account.export': unexpected,
    'account.sweep': unexpected,
    'notifications.digest': unexpected,
    'notifications.push': unexpected,
    'analytics.rollup': unexpected,
    'audit.record': async (p) => {
      const attempt = calls.filter((c) => c.key === p.key).length + 1;
      calls.push({ key: p.key, attempt });
      behaviour(p.key, attempt);
    },
  };
}

const entry = (key: string): JobPayloads['audit.record'] => ({ key, actorId: null, action: 'auth.login', ip: null, at: new Date().toISOString() });

const queues: [string, (handlers: JobHandlers, onDead: DeadLetterSink) => Promise<JobQueue>][] = [
  [
    'inline',
    async (handlers, onDead) => {
      const queue = createInlineQueue({ logger, retry: { attempts: 5, backoffMs: 200 } });
      queue.attach(handlers, onDead);
      return queue;
    },
  ],
  [
    'bullmq',
    async (handlers, onDead) => {
      const prefix = createRedisPrefix();
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
      const queue = createBullQueue({ connection: redis, prefix: prefix.prefix, logger, retry: { attempts: 5, backoffMs: 200 } });
      const workers = startBullWorkers({
        connection: redis,
        prefix: prefix.prefix,
        handlers,
        logger,
        onDead,
        stall: { lockMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1 },
      });
      cleanups.push(async () => {
        await workers.close();
        await queue.close();
        redis.disconnect();
        await prefix.cleanup();
      });
      return queue;
    },
  ],
];

describe.each(queues)('JobQueue driver: %s', (_name, open) => {
  const calls: Calls = [];
  const dead: JobFailure[] = [];
  let queue: JobQueue;

  it('runs an enqueued job once per job id', async () => {
    queue = await open(
      recordingHandlers(calls, (key, attempt) => {
        if (key.startsWith('flaky') && attempt < 3) throw new Error('transient');
        if (key.startsWith('doomed')) throw new Error(`still broken (attempt ${attempt})`);
        if (key.startsWith('fatal')) throw new UnrecoverableError('permanent');
      }),
      async (f) => void dead.push(f),
    );
    await queue.enqueue('audit.record', entry('once'), { jobId: 'audit:once' });
    await queue.enqueue('audit.record', entry('once'), { jobId: 'audit:once' });
    await waitFor(() => calls.some((c) => c.key === 'once'));
    await new Promise((r) => setTimeout(r, 300));
    expect(calls.filter((c) => c.key === 'once')).toHaveLength(1);
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    await queue.enqueue('audit.record', entry('flaky'), { jobId: 'audit:flaky' });
    await waitFor(() => calls.filter((c) => c.key === 'flaky').length === 3, 15_000, 'three attempts');
    await new Promise((r) => setTimeout(r, 300));
    expect(calls.filter((c) => c.key === 'flaky').map((c) => c.attempt)).toEqual([1, 2, 3]);
  });

  it('does not retry an UnrecoverableError', async () => {
    await queue.enqueue('audit.record', entry('fatal'), { jobId: 'audit:fatal' });
    await waitFor(() => calls.some((c) => c.key === 'fatal'));
    await new Promise((r) => setTimeout(r, 1500));
    expect(calls.filter((c) => c.key === 'fatal')).toHaveLength(1);
  });

  it('hands every job that fails for good to the dead-letter sink, once, and no other', async () => {
    await queue.enqueue('audit.record', entry('doomed'), { jobId: 'audit:doomed' });
    const doomed = await waitFor(() => dead.find((f) => f.jobId === 'audit:doomed'), 15_000, 'the doomed job dead-lettered');
    expect(doomed).toMatchObject({ name: 'audit.record', attempts: 5, stalled: false, error: 'still broken (attempt 5)', payload: { key: 'doomed' } });
    expect(await waitFor(() => dead.find((f) => f.jobId === 'audit:fatal'))).toMatchObject({ attempts: 1, error: 'permanent' });
    await new Promise((r) => setTimeout(r, 300));
    // The flaky job recovered: it is not dead. Nothing is recorded twice.
    expect(dead.map((f) => f.jobId).sort()).toEqual(['audit:doomed', 'audit:fatal']);
  });

  it('honours a delay', async () => {
    const at = Date.now();
    await queue.enqueue('audit.record', entry('later'), { jobId: 'audit:later', delayMs: 400 });
    await waitFor(() => calls.some((c) => c.key === 'later'));
    expect(Date.now() - at).toBeGreaterThanOrEqual(390);
  });
});
