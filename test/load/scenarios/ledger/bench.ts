import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createPgDatabase } from '../../../../server/src/db/pg.js';
import type { Database } from '../../../../server/src/db/database.js';
import { migrate } from '../../../../server/src/db/migrate.js';
import { createLogger } from '../../../../server/src/logger.js';
import { shardOf } from '../../../../server/src/modules/ledger/accounts.js';
import { isRetryable } from '../../../../server/src/modules/ledger/ledger.errors.js';
import { LedgerService, type LedgerOptions, type SpendInput } from '../../../../server/src/modules/ledger/ledger.service.js';
import { LedgerStore } from '../../../../server/src/modules/ledger/ledger.store.js';
import { verifyLedger } from '../../../../server/src/modules/ledger/ledger.verify.js';
import type { Realtime } from '../../../../server/src/realtime/realtime.js';
import { createTestDatabase, PG_BASE_URL } from '../../../support/services.js';
import { numberFlag, parseCli, usageError } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, CpuWatch, load1, waitForLowLoad } from '../../lib/machine.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { notes, ratioLines, resultTable, type Row } from './report.js';
import { measureWindow } from './window.js';

/**
 * `npm run bench -- ledger`: the credits ledger against real PostgreSQL.
 *
 * A fresh database (createTestDatabase), migrated with server/src/db/migrate.ts,
 * one pg pool (server/src/db/pg.ts, the production driver) and C workers,
 * each running one operation at a time (a closed loop). Per round, in this
 * order, each for the same warm-up and measured window:
 *
 *   insert        bare single-row INSERT into a plain table, autocommit (the baseline)
 *   spend ×16     LedgerService.spend, 16 shards (the default): creator leg + platform-fee leg
 *   spend ×1      the same with LEDGER_SHARDS=1: every spend takes revenue:0 and chain head 0
 *   hot wallet    spend ×16, but every worker pays from ONE fan's wallet
 *   batch N/tx    N spends inside one db.transaction (LedgerService.spend(input, tx) → LedgerStore.apply)
 *
 * Spends go from many distinct fans (funded first through LedgerService.adjust)
 * to many distinct creators, so that wallets and earnings are not the
 * contention point; each spend has its own idempotency key. Realtime is a
 * counting stub: pushes are not what is measured (the balance query that
 * LedgerService.notify runs after each standalone spend still runs, on the
 * same pool, as in production). At the end verifyLedger must pass.
 */

const USAGE = `usage: npm run bench -- ledger [flags]
  --clients C | --concurrency C  concurrent workers, one operation in flight each (default 16)
  --duration S                   measured seconds per variant and round (default 10)
  --warmup S                     unmeasured seconds first (default 2)
  --rounds N                     rounds; each runs every variant once, in the same order (default 3)
  --pool P                       pg pool size (default 16)
  --fans F                       funded fans (default 2000); --creators K creators (default 500)
  --batch N                      spends per transaction in the batched variants (default 10)
  --lanes L                      group commit: batches in flight at once (default 1, as LEDGER_LANES)
  --max-ops M                    group commit: most operations per batch (default 256)
  --window-ms W                  group commit: wait of an idle lane for company (default 0)
  --only a,b                     run only the variants whose names contain one of these words
  --no-wait                      do not wait for a load average below 1.2 before starting
  --mode cluster                 the only mode: local PostgreSQL (there is no embedded variant)
Only 127.0.0.1 PostgreSQL (TEST_PG_URL); the database is dropped at the end.`;

interface Flags {
  concurrency: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  pool: number;
  fans: number;
  creators: number;
  batch: number;
  lanes: number;
  maxOps: number;
  windowMs: number;
  only: string[];
  wait: boolean;
}

function parseFlags(argv: string[]): Flags {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      clients: { type: 'string', short: 'c' },
      concurrency: { type: 'string' },
      duration: { type: 'string', short: 'd', default: '10' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      pool: { type: 'string', default: '16' },
      fans: { type: 'string', default: '2000' },
      creators: { type: 'string', default: '500' },
      batch: { type: 'string', default: '10' },
      lanes: { type: 'string', default: '1' },
      'max-ops': { type: 'string', default: '256' },
      'window-ms': { type: 'string', default: '0' },
      only: { type: 'string', default: '' },
      'no-wait': { type: 'boolean', default: false },
      mode: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.mode !== undefined && v.mode !== 'cluster') usageError('the ledger bench always runs on local PostgreSQL (there is no embedded variant): drop --mode', USAGE);
  return {
    concurrency: numberFlag('concurrency', v.concurrency ?? v.clients ?? '16', 1, 256, USAGE),
    durationS: numberFlag('duration', v.duration, 1, 600, USAGE, false),
    warmupS: numberFlag('warmup', v.warmup, 0, 60, USAGE, false),
    rounds: numberFlag('rounds', v.rounds, 1, 10, USAGE),
    pool: numberFlag('pool', v.pool, 1, 90, USAGE),
    fans: numberFlag('fans', v.fans, 1, 1_000_000, USAGE),
    creators: numberFlag('creators', v.creators, 1, 1_000_000, USAGE),
    batch: numberFlag('batch', v.batch, 2, 1000, USAGE),
    lanes: numberFlag('lanes', v.lanes, 1, 64, USAGE),
    maxOps: numberFlag('max-ops', v['max-ops'], 1, 10_000, USAGE),
    windowMs: numberFlag('window-ms', v['window-ms'], 0, 100, USAGE, false),
    only: v.only ? v.only.split(',').map((x) => x.trim()).filter(Boolean) : [],
    wait: !v['no-wait'],
  };
}

const rand = (n: number) => Math.floor(Math.random() * n);

/** A key whose chain shard is `shard`: a batch's spends share one chain head (see the batched variant). */
function keyOnShard(base: string, shard: number, shards: number): string {
  for (let i = 0; ; i++) {
    const key = `${base}.${i}`;
    if (shardOf(key, shards) === shard) return key;
  }
}

export async function benchLedger(argv: string[]): Promise<number> {
  const f = parseFlags(argv);
  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log);
  const interrupted = new AbortController();
  cleanups.onSigint(undefined, () => interrupted.abort());
  const startLoad = f.wait ? await waitForLowLoad(log) : load1();

  const logger = createLogger({ level: 'silent', nodeId: 'ledger-bench' });
  const dbInfo = await createTestDatabase('pairly_ledgerbench');
  cleanups.add(() => dbInfo.drop());
  const admin = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
  await admin.connect();
  cleanups.add(() => admin.end());
  let db: Database | undefined;
  let exitCode = 0;
  try {
    db = createPgDatabase({ url: dbInfo.url, poolSize: f.pool, logger });
    const dbRef = db;
    cleanups.add(() => dbRef.close());
    const applied = await migrate(db, logger);
    log(`ledger bench: database ${dbInfo.name} (${applied.length} migrations), pg pool ${f.pool}, ${f.concurrency} workers, ` +
      `${f.warmupS}s warm-up + ${f.durationS}s per variant, ${f.rounds} round(s); node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}`);

    let pushes = 0;
    const realtime: Realtime = { toUser: () => void pushes++, toUsers: () => void pushes++, endSession: () => undefined };
    const store = new LedgerStore(db);
    const group = { lanes: f.lanes, maxOps: f.maxOps, windowMs: f.windowMs };
    const ledgerOf = (shards: number, batch: LedgerOptions['batch']) => new LedgerService({ db: dbRef, store, realtime, logger, options: { feeBps: 2000, shards, batch } });
    // One ledger_apply call per operation (the path before the group commit) and the group commit.
    const ledger16 = ledgerOf(16, false);
    const grouped16 = ledgerOf(16, group);
    const grouped1 = ledgerOf(1, group);

    // Users are plain rows (wallet accounts reference users); sign-up is not what is measured.
    const t0 = performance.now();
    const mkUsers = async (n: number, role: 'fan' | 'creator', tag: string = role) =>
      (
        await dbRef.query<{ id: string }>(
          `INSERT INTO users (email, password_hash, display_name, birthdate, role)
           SELECT 'ledgerbench.' || $3 || g || '@example.test', 'not-a-hash', $3 || ' ' || g, DATE '1990-01-01', $2
           FROM generate_series(1, $1) g RETURNING id`,
          [n, role, tag],
        )
      ).rows.map((r) => r.id);
    const fans = await mkUsers(f.fans, 'fan');
    const creators = await mkUsers(f.creators, 'creator');
    const [hotFan] = await mkUsers(1, 'fan', 'hotfan');
    await dbRef.exec(`CREATE TABLE bench_insert (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k text NOT NULL, amount bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);
    // Funding through the admin adjustment path: a real ledger transfer per fan.
    let funded = 0;
    await Promise.all(
      Array.from({ length: Math.min(16, f.pool) }, async () => {
        for (let i = funded++; i < fans.length; i = funded++) {
          await ledger16.adjust({ key: `bench-fund:${fans[i]}`, userId: fans[i]!, amount: 1_000_000_000, reason: 'bench funding', adminId: 'bench' });
        }
      }),
    );
    await ledger16.adjust({ key: `bench-fund:${hotFan}`, userId: hotFan!, amount: 1_000_000_000_000, reason: 'bench funding', adminId: 'bench' });
    log(`set-up: ${fans.length} fans (each funded by LedgerService.adjust), ${creators.length} creators, 1 hot fan, in ${Math.round(performance.now() - t0)} ms`);

    const spendInput = (key: string, from?: string): SpendInput => ({
      key,
      fromUserId: from ?? fans[rand(fans.length)]!,
      toUserId: creators[rand(creators.length)]!,
      amount: 10,
      kind: 'bench_spend',
    });
    let retries = 0;
    let seq = 0;
    /** A random index ≡ w (mod C), when there are at least C items; any index otherwise. */
    const pick = (n: number, w: number) => {
      const c = f.concurrency;
      if (n < c) return rand(n);
      const slots = Math.floor((n - 1 - w) / c) + 1;
      return w + c * rand(slots);
    };
    /**
     * N spends in one transaction (LedgerService.spend(input, tx) → LedgerStore.apply), all on chain
     * shard `shard`: with keys on random shards two batches take chain heads in different orders and
     * deadlock (ledger_apply orders its locks within one call only). Deadlocks are retried.
     */
    const batch = async (tag: string, shard: number, from: () => string, to: () => string) => {
      const base = `${tag}:${seq++}`;
      const inputs = Array.from({ length: f.batch }, (_, k) => ({ ...spendInput(keyOnShard(`${base}:${k}`, shard, 16), from()), toUserId: to() }));
      for (let attempt = 1; ; attempt++) {
        try {
          await dbRef.transaction(async (tx) => {
            for (const input of inputs) await ledger16.spend(input, tx);
          });
          break;
        } catch (err) {
          if (attempt < 5 && isRetryable(err)) {
            retries++;
            continue;
          }
          throw err;
        }
      }
      // As a caller of spend(input, tx) does after its commit.
      ledger16.notify(inputs.map((i) => i.fromUserId));
    };
    const variants: Array<{ name: string; unitsPerOp: number; op: (tag: string, worker: number) => Promise<void> }> = [
      {
        name: 'insert (baseline)',
        unitsPerOp: 1,
        op: async (tag) => void (await dbRef.query('INSERT INTO bench_insert (k, amount) VALUES ($1, $2)', [`${tag}:${seq++}`, 10])),
      },
      { name: 'spend, one call each', unitsPerOp: 2, op: async (tag) => void (await ledger16.spend(spendInput(`${tag}:${seq++}`))) },
      { name: 'spend, group commit', unitsPerOp: 2, op: async (tag) => void (await grouped16.spend(spendInput(`${tag}:${seq++}`))) },
      { name: 'spend, group commit, 1 shard', unitsPerOp: 2, op: async (tag) => void (await grouped1.spend(spendInput(`${tag}:${seq++}`))) },
      { name: 'spend, group commit, hot wallet', unitsPerOp: 2, op: async (tag) => void (await grouped16.spend(spendInput(`${tag}:${seq++}`, hotFan))) },
      {
        name: `spendMany ${f.batch}, shared accounts`,
        unitsPerOp: 2 * f.batch,
        // Random fans and creators on random shards, as the per-call batch below; each spend its own outcome,
        // through the group commit's lanes.
        op: async (tag) => {
          const base = `${tag}:${seq++}`;
          const out = await grouped16.spendMany(Array.from({ length: f.batch }, (_, k) => spendInput(`${base}:${k}`)));
          const refused = out.find((o) => !o.ok);
          if (refused && !refused.ok) throw refused.error;
        },
      },
      {
        name: `spendMany ${f.batch} atomic, shared accounts`,
        unitsPerOp: 2 * f.batch,
        // All or nothing: one ledger_apply_batch call over random fans, creators and shards.
        op: async (tag) => {
          const base = `${tag}:${seq++}`;
          await grouped16.spendMany(Array.from({ length: f.batch }, (_, k) => spendInput(`${base}:${k}`)), { atomic: true });
        },
      },
      {
        name: `batch ${f.batch}/tx (one call per spend), shared accounts`,
        unitsPerOp: 2 * f.batch,
        // Random fans and creators, as the single spends: concurrent batches hold many of the same rows.
        op: (tag) => batch(tag, rand(16), () => fans[rand(fans.length)]!, () => creators[rand(creators.length)]!),
      },
      {
        name: `batch ${f.batch}/tx (one call per spend), own accounts`,
        unitsPerOp: 2 * f.batch,
        // Worker w only uses the fans and creators whose index is w modulo C, and chain shard w mod 16:
        // what batching buys when concurrent batches share no row (revenue shard aside, when C > 16).
        op: (tag, w) =>
          batch(tag, w % 16, () => fans[pick(fans.length, w)]!, () => creators[pick(creators.length, w)]!),
      },
    ];

    const watch = new CpuWatch({ admin, pgDatabase: dbInfo.name });
    const rows: Row[] = [];
    const chosen = variants.filter((v) => v.unitsPerOp === 1 || f.only.length === 0 || f.only.some((w) => v.name.includes(w)));
    for (let round = 1; round <= f.rounds; round++) {
      for (const v of chosen) {
        const label = `${v.name}${f.rounds > 1 ? ` #${round}` : ''}`;
        retries = 0;
        const stats0 = { ...grouped16.batcher!.stats };
        const stats1 = { ...grouped1.batcher!.stats };
        const row = await measureWindow({
          label,
          concurrency: f.concurrency,
          warmupS: f.warmupS,
          durationS: f.durationS,
          op: (w) => v.op(`r${round}.v${variants.indexOf(v)}.w${w}`, w),
          printer,
          watch,
          admin,
          dbName: dbInfo.name,
          signal: interrupted.signal,
        });
        const batches = grouped16.batcher!.stats.batches - stats0.batches + grouped1.batcher!.stats.batches - stats1.batches;
        const batchedOps = grouped16.batcher!.stats.ops - stats0.ops + grouped1.batcher!.stats.ops - stats1.ops;
        rows.push({ ...row, round, variant: v.name, unitsPerOp: v.unitsPerOp, unitsPerS: row.opsPerS * v.unitsPerOp, retries, opsPerBatch: batches ? batchedOps / batches : undefined });
        // Let the fire-and-forget balance queries of the last operations drain before the next variant.
        await sleep(500);
      }
    }

    const t1 = performance.now();
    const report = await verifyLedger(store);
    const counts = (
      await dbRef.query<{ transfers: number; accounts: number }>(
        'SELECT (SELECT count(*) FROM ledger_transfers)::bigint AS transfers, (SELECT count(*) FROM ledger_accounts)::bigint AS accounts',
      )
    ).rows[0]!;
    const verifyMs = Math.round(performance.now() - t1);

    console.log(['', resultTable(rows), '', ...ratioLines(rows, f.rounds), '', notes(f, pushes, grouped16.batcher!.stats.fallbacks + grouped1.batcher!.stats.fallbacks)].join('\n'));
    console.log(
      `\nledger verify after the load (verifyLedger, as npm run ledger:verify): ${report.ok ? 'OK' : 'FAILED'} — ` +
        `${counts.transfers} transfers, ${counts.accounts} accounts, total posted ${report.totalPosted}, ` +
        `${report.brokenTransfers.length} broken transfers, ${report.brokenChains.length} broken chains, ` +
        `${report.balanceMismatches.length} balance mismatches (${verifyMs} ms)`,
    );
    if (!report.ok) {
      console.log(JSON.stringify(report, null, 2).slice(0, 5000));
      exitCode = 1;
    }
    const errors = rows.reduce((s, r) => s + r.errors, 0);
    if (errors > 0) exitCode = 1;
  } catch (err) {
    log(`ledger bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    exitCode = 1;
  } finally {
    await cleanups.run();
  }
  return exitCode;
}
