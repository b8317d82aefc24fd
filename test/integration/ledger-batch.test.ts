import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { newUser } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { createBacking, ROOT, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import { createPgDatabase } from '../../server/src/db/pg.js';
import { pgError, type Database, type Queryable } from '../../server/src/db/database.js';
import { createLogger } from '../../server/src/logger.js';
import { LedgerService, type LedgerOptions, type SpendInput } from '../../server/src/modules/ledger/ledger.service.js';
import { LedgerStore, type BatchOp, type Leg } from '../../server/src/modules/ledger/ledger.store.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';

/** The real store, counting the statements that failed as a whole (a deadlock, a retry): the tests want none. */
class CountingStore extends LedgerStore {
  failures: string[] = [];
  override async applyBatch(ops: BatchOp[], atomic: boolean, q?: Queryable) {
    try {
      return await super.applyBatch(ops, atomic, q);
    } catch (err) {
      this.failures.push(pgError(err)?.code ?? String(err));
      throw err;
    }
  }
  override async apply(shard: number, legs: Leg[], q?: Queryable) {
    try {
      return await super.apply(shard, legs, q);
    } catch (err) {
      this.failures.push(pgError(err)?.code ?? String(err));
      throw err;
    }
  }
}

let backing: Backing;
let node: InProcessNode;
let db: Database;
const logger = createLogger({ level: 'silent', nodeId: 'ledger-batch-test' });
const realtime = { toUser: () => undefined, toUsers: () => undefined, endSession: () => undefined };

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, DATABASE_POOL_SIZE: '20', PLATFORM_FEE_BPS: '2000', DATABASE_CONNECT_TIMEOUT_MS: '60000' });
  db = createPgDatabase({ url: backing.databaseUrl, poolSize: 20, connectTimeoutMs: 60_000, logger });
});
afterAll(async () => {
  await db?.close();
  await node?.stop();
  await backing?.cleanup();
});

/** A LedgerService of this test's own on the node's database: another process's view of the same ledger. */
const service = (batch: LedgerOptions['batch']) => {
  const store = new CountingStore(db);
  return { store, ledger: new LedgerService({ db, store, realtime, logger, options: { feeBps: 2000, shards: 16, batch } }) };
};
const users = async (n: number, role: 'fan' | 'creator') => Promise.all(Array.from({ length: n }, () => newUser(node.url, { role }).then((u) => u.user.id)));
const legsOf = (key: string) =>
  pgQuery<{ n: number }>(backing.databaseUrl, `SELECT count(*)::int AS n FROM ledger_transfers WHERE idempotency_key LIKE $1 || ':%'`, [key]).then((r) => r[0]!.n);
const spend = (key: string, from: string, to: string, amount = 10): SpendInput => ({ key, fromUserId: from, toUserId: to, amount, kind: 'batch_test' });

describe('group commit', () => {
  it('applies a batch in one statement where a refused operation changes nothing and the others apply', async () => {
    const { ledger, store } = service({ lanes: 1 });
    const [rich, poor] = await users(2, 'fan');
    const [creator] = await users(1, 'creator');
    await fund(node.pairly, rich!, 1000);
    await fund(node.pairly, poor!, 5);
    const used = `msg:${randomUUID()}`;
    await ledger.spend(spend(used, rich!, creator!, 10));
    const batchesBefore = ledger.batcher!.stats.batches;

    // Submitted in one turn of the event loop on one lane: one batch.
    const results = await Promise.allSettled([
      ledger.spend(spend(`a:${randomUUID()}`, rich!, creator!)),
      ledger.spend(spend(`b:${randomUUID()}`, poor!, creator!)), // 10 > 5
      ledger.spend(spend(used, rich!, creator!, 11)), // the key was used with another amount
      ledger.spend(spend(`c:${randomUUID()}`, rich!, creator!)),
      ledger.spend(spend(used, rich!, creator!, 10)), // a retry: replayed
    ]);
    expect(ledger.batcher!.stats.batches).toBe(batchesBefore + 1);
    expect(ledger.batcher!.stats.fallbacks).toBe(0);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((results[4] as PromiseFulfilledResult<{ replayed: boolean }>).value.replayed).toBe(true);
    expect((await ledger.balance(rich!)).available).toBe(1000 - 30);
    expect((await ledger.balance(poor!)).available).toBe(5);
    expect(store.failures).toEqual([]);
  });

  it('runs a batch that fails as a whole (a user that does not exist) again one operation at a time, failing only that one', async () => {
    const { ledger } = service({ lanes: 1 });
    const [fan] = await users(1, 'fan');
    const [creator] = await users(1, 'creator');
    await fund(node.pairly, fan!, 100);
    const results = await Promise.allSettled([
      ledger.spend(spend(`x:${randomUUID()}`, fan!, creator!)),
      ledger.spend(spend(`y:${randomUUID()}`, fan!, randomUUID())),
      ledger.spend(spend(`z:${randomUUID()}`, fan!, creator!)),
    ]);
    expect(ledger.batcher!.stats.fallbacks).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'NOT_FOUND' });
    expect((await ledger.balance(fan!)).available).toBe(80);
  });

  it('one key from 60 callers at once, on two processes and in spendMany, is one transfer; every other caller gets a replay', async () => {
    const a = service({ lanes: 2 });
    const b = service({ lanes: 2 });
    const [fan] = await users(1, 'fan');
    const [creator] = await users(1, 'creator');
    await fund(node.pairly, fan!, 100);
    const key = `storm:${randomUUID()}`;
    const input = spend(key, fan!, creator!, 7);
    const calls = [
      ...Array.from({ length: 25 }, () => a.ledger.spend(input)),
      ...Array.from({ length: 25 }, () => b.ledger.spend(input)),
      node.pairly.services.ledger.spend(input),
      ...Array.from({ length: 3 }, () => a.ledger.spendMany([input, input, spend(`other:${randomUUID()}`, fan!, creator!, 1)]).then((o) => {
        if (!o[0]!.ok || !o[1]!.ok) throw o.find((x) => !x.ok);
        return o[0]!.result;
      })),
    ];
    const results = await Promise.all(calls);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const ids = new Set(results.map((r) => r.transfers.map((t) => t.id).join(',')));
    expect(ids.size).toBe(1);
    expect(await legsOf(key)).toBe(2);
    expect((await a.ledger.balance(fan!)).available).toBe(100 - 7 - 3);
    expect([...a.store.failures, ...b.store.failures]).toEqual([]);
  });
});

describe('the batch function\'s plans', () => {
  it('probe indexes in nested loops whatever the tables held when they were planned: no table scanned whole, no hash or merge join', async () => {
    const [fan] = await users(1, 'fan');
    const [creator] = await users(1, 'creator');
    await fund(node.pairly, fan!, 1000);
    // One connection that shows every plan the function runs (auto_explain at NOTICE, nested statements too).
    const client = new pg.Client({ connectionString: backing.databaseUrl });
    await client.connect();
    const plans: string[] = [];
    client.on('notice', (n) => plans.push(n.message ?? ''));
    try {
      await client.query(`LOAD 'auto_explain'`);
      await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice`);
      const q = { query: (sql: string, params?: unknown[]) => client.query(sql, params), exec: async (sql: string) => void (await client.query(sql)) } as unknown as Queryable;
      const store = new LedgerStore(db);
      const post = (key: string, credit: string) => ({ op: 'post' as const, key, debit: `wallet:${fan}`, credit, amount: 3, kind: 'test' });
      const spendOp = (key: string, shard: number): BatchOp => ({ shard, legs: [post(`${key}:c`, `earnings:${creator}`), post(`${key}:f`, `revenue:${shard}`)] });
      const hold = `hold:${randomUUID()}`;
      const first = `s:${randomUUID()}`;
      // The first batch makes the plans (the tables small), the later ones reuse them: a replay, a hold and its capture.
      const batches: BatchOp[][] = [
        [spendOp(first, 1), spendOp(`s:${randomUUID()}`, 2), { shard: 3, legs: [{ op: 'hold', key: hold, debit: `wallet:${fan}`, credit: `escrow:3`, amount: 5, kind: 'test' }] }],
        [spendOp(first, 1), spendOp(`s:${randomUUID()}`, 4), { shard: 3, legs: [{ op: 'post_hold', key: `${hold}:post`, hold, amount: 5, kind: 'test' }] }],
        [spendOp(`s:${randomUUID()}`, 5), spendOp(`s:${randomUUID()}`, 5)],
      ];
      for (const ops of batches) {
        const results = await store.applyBatch(ops, false, q);
        expect(results.map((r) => r.ok)).toEqual(ops.map(() => true));
      }
      expect((await store.applyBatch([spendOp(first, 1)], false, q))[0]).toMatchObject({ ok: true, replayed: true });
    } finally {
      await client.end();
    }
    const shown = plans.filter((p) => /ledger_/.test(p));
    expect(shown.length).toBeGreaterThan(20);
    const bad = shown.filter((p) => /Seq Scan on ledger_|Hash Join|Merge Join/.test(p));
    expect(bad, bad.join('\n\n')).toEqual([]);
  });
});

describe('spendMany', () => {
  it('gives each spend its own outcome, or with atomic writes all or nothing', async () => {
    const { ledger } = service(false);
    const [fan] = await users(1, 'fan');
    const [c1, c2] = await users(2, 'creator');
    await fund(node.pairly, fan!, 25);
    const out = await ledger.spendMany([spend(`m1:${randomUUID()}`, fan!, c1!), spend(`m2:${randomUUID()}`, fan!, c2!), spend(`m3:${randomUUID()}`, fan!, c1!)]);
    expect(out.map((o) => o.ok)).toEqual([true, true, false]);
    expect(out[2]).toMatchObject({ ok: false, error: { code: 'INSUFFICIENT_CREDITS' } });
    expect((await ledger.balance(fan!)).available).toBe(5);

    await fund(node.pairly, fan!, 10); // 15: the first two fit, the third does not
    const keys = [`n1:${randomUUID()}`, `n2:${randomUUID()}`, `n3:${randomUUID()}`];
    await expect(ledger.spendMany(keys.map((k) => spend(k, fan!, c1!, 5 + (k === keys[2] ? 10 : 0))), { atomic: true })).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    for (const k of keys) expect(await legsOf(k)).toBe(0);
    expect((await ledger.balance(fan!)).available).toBe(15);
    const all = await ledger.spendMany(keys.slice(0, 2).map((k) => spend(k, fan!, c1!, 5)), { atomic: true });
    expect(all.every((o) => o.ok)).toBe(true);
    expect((await ledger.balance(fan!)).available).toBe(5);
  });

  it('overlapping batches on shared wallets, beside single operations, never deadlock: 8 callers × 25 batches, no retry needed', async () => {
    const batched = service({ lanes: 2 });
    const single = service(false);
    const fans = await users(5, 'fan');
    const creators = await users(5, 'creator');
    for (const f of fans) await fund(node.pairly, f, 1_000_000);
    const shuffle = <T>(xs: T[]) => xs.map((x) => [Math.random(), x] as const).sort((p, q) => p[0] - q[0]).map(([, x]) => x);
    let spends = 0;
    const caller = async (c: number) => {
      for (let i = 0; i < 25; i++) {
        // Every batch names every fan and most creators, in a random order: the pattern that deadlocked as
        // one ledger_apply per spend inside one transaction.
        const inputs = shuffle(fans).flatMap((f, j) => [spend(`dl:${c}:${i}:${j}:a:${randomUUID()}`, f, creators[(i + j) % 5]!, 1), spend(`dl:${c}:${i}:${j}:b:${randomUUID()}`, f, creators[(c + j) % 5]!, 1)]);
        const out = await batched.ledger.spendMany(inputs, { atomic: c % 2 === 0 });
        expect(out.every((o) => o.ok)).toBe(true);
        spends += inputs.length;
        // Single operations and group-commit ones on the same accounts, at the same time.
        await Promise.all([
          single.ledger.spend(spend(`dl1:${c}:${i}:${randomUUID()}`, fans[i % 5]!, creators[c % 5]!, 1)),
          batched.ledger.spend(spend(`dl2:${c}:${i}:${randomUUID()}`, fans[(i + c) % 5]!, creators[i % 5]!, 1)),
        ]);
        spends += 2;
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, c) => caller(c)));
    expect(spends).toBe(8 * 25 * 12);
    expect(batched.store.failures).toEqual([]);
    expect(single.store.failures).toEqual([]);
    const report = await verifyLedger(new LedgerStore(db));
    expect(report.ok).toBe(true);
  }, 120_000);

  it('concurrent double-spends through batches and the group commit never take a wallet below zero', async () => {
    const { ledger } = service({ lanes: 2 });
    const [fan] = await users(1, 'fan');
    const [creator] = await users(1, 'creator');
    await fund(node.pairly, fan!, 100);
    const many = Array.from({ length: 4 }, (_, b) => ledger.spendMany(Array.from({ length: 30 }, (_, i) => spend(`ds:${b}:${i}:${randomUUID()}`, fan!, creator!, 1))));
    const singles = Array.from({ length: 60 }, (_, i) => ledger.spend(spend(`ds1:${i}:${randomUUID()}`, fan!, creator!, 1)).then(
      () => ({ ok: true as const }),
      (error: Error) => ({ ok: false as const, error }),
    ));
    const outcomes = [...(await Promise.all(many)).flat(), ...(await Promise.all(singles))];
    expect(outcomes.filter((o) => o.ok)).toHaveLength(100);
    for (const o of outcomes) if (!o.ok) expect(o.error).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect(await ledger.balance(fan!)).toMatchObject({ available: 0, held: 0 });
  });
});

describe('a process killed with batches in flight', () => {
  it('leaves each operation committed (and acknowledged only then) or absent; retrying every key gives exactly one transfer each', async () => {
    const [fan] = await users(1, 'fan');
    const [creator] = await users(1, 'creator');
    await fund(node.pairly, fan!, 1_000_000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/ledger-child.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: backing.databaseUrl, FAN: fan!, CREATOR: creator!, WORKERS: '6', BULK: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // Kill it once it has acknowledged 300 spends: it is then in the middle of its loop, batches in flight.
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        if ((out.match(/^ok /gm) ?? []).length >= 300) resolve();
      });
      child.once('exit', () => reject(new Error(`the child exited before the kill:\n${out.slice(-2000)}\n${err}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const acked = new Set([...out.matchAll(/^ok (\S+)$/gm)].map((m) => m[1]!));
    expect(out).not.toMatch(/^(refused|failed) /m);

    // Every key it could have been working on: each worker's keys up to two past its last acknowledged one.
    const last = new Map<string, number>([...Array.from({ length: 6 }, (_, w) => [`kill:${w}`, -1] as const), [`many:0`, -1], [`many:1`, -1]]);
    for (const k of acked) {
      const m = /^(kill:\d+|many:\d+):(\d+)/.exec(k)!;
      last.set(m[1]!, Math.max(last.get(m[1]!) ?? -1, Number(m[2])));
    }
    const keys: string[] = [];
    for (const [worker, n] of last) {
      for (let i = 0; i <= n + 2; i++) {
        if (worker.startsWith('kill:')) keys.push(`${worker}:${i}`);
        else for (let j = 0; j < 5; j++) keys.push(`${worker}:${i}:${j}`);
      }
    }
    const legCounts = new Map(
      (await pgQuery<{ k: string; n: number }>(backing.databaseUrl,
        `SELECT regexp_replace(idempotency_key, ':(creator|fee)$', '') AS k, count(*)::int AS n FROM ledger_transfers
         WHERE idempotency_key LIKE 'kill:%' OR idempotency_key LIKE 'many:%' GROUP BY 1`)).map((r) => [r.k, r.n]),
    );
    // Committed whole or not at all, and everything acknowledged was committed.
    for (const [k, n] of legCounts) expect([k, n]).toEqual([k, 2]);
    for (const k of acked) expect(legCounts.get(k)).toBe(2);
    expect([...legCounts.keys()].every((k) => keys.includes(k))).toBe(true);

    // Callers retry every key with the same parameters: one transfer pair per key, acknowledged ones replay.
    const input = (key: string) => ({ key, fromUserId: fan!, toUserId: creator!, amount: 10, kind: 'kill_test' });
    const ledger = node.pairly.services.ledger;
    const retried = await Promise.all(keys.map((k) => ledger.spend(input(k)).then((r) => [k, r] as const)));
    for (const [k, r] of retried) if (acked.has(k) || legCounts.has(k)) expect([k, r.replayed]).toEqual([k, true]);
    const after = await pgQuery<{ keys: number; legs: number }>(backing.databaseUrl,
      `SELECT count(DISTINCT regexp_replace(idempotency_key, ':(creator|fee)$', ''))::int AS keys, count(*)::int AS legs
       FROM ledger_transfers WHERE idempotency_key LIKE 'kill:%' OR idempotency_key LIKE 'many:%'`);
    expect(after[0]).toEqual({ keys: keys.length, legs: 2 * keys.length });
    expect((await ledger.balance(fan!)).available).toBe(1_000_000 - 10 * keys.length);
    expect((await verifyLedger(new LedgerStore(db))).ok).toBe(true);
  }, 120_000);
});
