import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { createPgDatabase } from '../../../server/src/db/pg.js';
import { pgError, type Database } from '../../../server/src/db/database.js';
import { migrate } from '../../../server/src/db/migrate.js';
import { AppError } from '../../../server/src/errors.js';
import { createLogger } from '../../../server/src/logger.js';
import { shardOf } from '../../../server/src/modules/ledger/accounts.js';
import { isRetryable } from '../../../server/src/modules/ledger/ledger.errors.js';
import { LedgerService, type SpendInput } from '../../../server/src/modules/ledger/ledger.service.js';
import { LedgerStore } from '../../../server/src/modules/ledger/ledger.store.js';
import { verifyLedger } from '../../../server/src/modules/ledger/ledger.verify.js';
import type { Realtime } from '../../../server/src/realtime/realtime.js';
import { createTestDatabase, PG_BASE_URL } from '../../support/services.js';
import { CLEAN_OTHER_PCT, CORES, CpuWatch, fmtMs, load1, median, otherPct, pct, takeOverSigint, waitQuiet, type CpuWindow } from './ledger-match-machine.js';
import { ProgressPrinter } from './progress.js';
import { LatencyRecorder, type LatencySummary } from './recorder.js';

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
  --batch N                      spends per transaction in the batched variant (default 10)
  --no-wait                      do not wait for a load average below 1.2 before starting
Only 127.0.0.1 PostgreSQL (TEST_PG_URL); the database is dropped at the end.
Under \`npm run bench\` only --clients, --duration, --warmup and --rounds pass bench.ts's flag check;
all flags work with \`node --import tsx test/load/lib/ledger-bench.ts ...\`.`;

interface Flags {
  concurrency: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  pool: number;
  fans: number;
  creators: number;
  batch: number;
  wait: boolean;
}

function parseFlags(argv: string[]): Flags {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
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
        'no-wait': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        // bench.ts's own flags, accepted there before this module is loaded; they do not apply here.
        mode: { type: 'string' },
        baseline: { type: 'string' },
        inflight: { type: 'string' },
        rate: { type: 'string' },
        timeout: { type: 'string' },
        'setup-concurrency': { type: 'string' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const extra = parsed.positionals.filter((p) => p !== 'ledger');
  if (extra.length) fail(`unexpected argument(s): ${extra.join(' ')}`);
  if (v.mode !== undefined && v.mode !== 'cluster') fail('the ledger bench always runs on local PostgreSQL (there is no embedded variant): drop --mode');
  for (const f of ['inflight', 'rate', 'timeout', 'setup-concurrency', 'baseline'] as const) {
    if (v[f] !== undefined) fail(`--${f} does not apply to the ledger bench`);
  }
  return {
    concurrency: int('concurrency', v.concurrency ?? v.clients ?? '16', 1, 256),
    durationS: num('duration', v.duration, 1, 600),
    warmupS: num('warmup', v.warmup, 0, 60),
    rounds: int('rounds', v.rounds, 1, 10),
    pool: int('pool', v.pool, 1, 90),
    fans: int('fans', v.fans, 1, 1_000_000),
    creators: int('creators', v.creators, 1, 1_000_000),
    batch: int('batch', v.batch, 2, 1000),
    wait: !v['no-wait'],
  };
}

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}
function num(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return n;
}
function int(name: string, raw: string | undefined, min: number, max: number): number {
  const n = num(name, raw, min, max);
  if (!Number.isInteger(n)) fail(`--${name} must be an integer`);
  return n;
}

/** One measured window of one variant. */
interface Row {
  round: number;
  variant: string;
  /** Rows (insert) or ledger transfers one operation writes. */
  unitsPerOp: number;
  concurrency: number;
  windowS: number;
  ops: number;
  opsPerS: number;
  unitsPerS: number;
  latency: LatencySummary;
  errors: number;
  errorCodes: Record<string, number>;
  retries: number;
  cpu: CpuWindow;
  /** Mean number of this database's backends waiting for a lock / running a statement, sampled every 200 ms. */
  lockWaiting: number;
  active: number;
  load1: number;
}

const rand = (n: number) => Math.floor(Math.random() * n);

function errorCode(err: unknown): string {
  if (err instanceof AppError) return err.code;
  const pgErr = pgError(err);
  if (pgErr?.code) return `pg ${pgErr.code}`;
  return err instanceof Error ? err.name : 'ERROR';
}

/** A key whose chain shard is `shard`: a batch's spends share one chain head (see the batched variant). */
function keyOnShard(base: string, shard: number, shards: number): string {
  for (let i = 0; ; i++) {
    const key = `${base}.${i}`;
    if (shardOf(key, shards) === shard) return key;
  }
}

export async function runLedgerBench(argv: string[]): Promise<number> {
  const f = parseFlags(argv);
  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups: Array<() => Promise<void>> = [];
  const runCleanups = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err) => log(`cleanup failed: ${String(err)}`));
  };
  takeOverSigint(runCleanups);
  const startLoad = f.wait ? await waitQuiet(log) : load1();

  const logger = createLogger({ level: 'silent', nodeId: 'ledger-bench' });
  const dbInfo = await createTestDatabase('pairly_ledgerbench');
  cleanups.push(() => dbInfo.drop());
  const admin = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
  await admin.connect();
  cleanups.push(() => admin.end());
  let db: Database | undefined;
  let exitCode = 0;
  try {
    db = createPgDatabase({ url: dbInfo.url, poolSize: f.pool, logger });
    const dbRef = db;
    cleanups.push(() => dbRef.close());
    const applied = await migrate(db, logger);
    log(`ledger bench: database ${dbInfo.name} (${applied.length} migrations), pg pool ${f.pool}, ${f.concurrency} workers, ` +
      `${f.warmupS}s warm-up + ${f.durationS}s per variant, ${f.rounds} round(s); node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}`);

    let pushes = 0;
    const realtime: Realtime = { toUser: () => void pushes++, toUsers: () => void pushes++, endSession: () => undefined };
    const store = new LedgerStore(db);
    const ledgerOf = (shards: number) => new LedgerService({ db: dbRef, store, realtime, logger, options: { feeBps: 2000, shards } });
    const ledger16 = ledgerOf(16);
    const ledger1 = ledgerOf(1);

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
      { name: 'spend, 16 shards', unitsPerOp: 2, op: async (tag) => void (await ledger16.spend(spendInput(`${tag}:${seq++}`))) },
      { name: 'spend, 1 shard', unitsPerOp: 2, op: async (tag) => void (await ledger1.spend(spendInput(`${tag}:${seq++}`))) },
      { name: 'spend, hot wallet', unitsPerOp: 2, op: async (tag) => void (await ledger16.spend(spendInput(`${tag}:${seq++}`, hotFan))) },
      {
        name: `batch ${f.batch}/tx, shared accounts`,
        unitsPerOp: 2 * f.batch,
        // Random fans and creators, as the single spends: concurrent batches hold many of the same rows.
        op: (tag) => batch(tag, rand(16), () => fans[rand(fans.length)]!, () => creators[rand(creators.length)]!),
      },
      {
        name: `batch ${f.batch}/tx, own accounts`,
        unitsPerOp: 2 * f.batch,
        // Worker w only uses the fans and creators whose index is w modulo C, and chain shard w mod 16:
        // what batching buys when concurrent batches share no row (revenue shard aside, when C > 16).
        op: (tag, w) =>
          batch(tag, w % 16, () => fans[pick(fans.length, w)]!, () => creators[pick(creators.length, w)]!),
      },
    ];

    const watch = new CpuWatch({ admin, pgDatabase: dbInfo.name });
    const rows: Row[] = [];
    for (let round = 1; round <= f.rounds; round++) {
      for (const v of variants) {
        const label = `${v.name}${f.rounds > 1 ? ` #${round}` : ''}`;
        retries = 0;
        const row = await measure({
          label,
          concurrency: f.concurrency,
          warmupS: f.warmupS,
          durationS: f.durationS,
          op: (w) => v.op(`r${round}.v${variants.indexOf(v)}.w${w}`, w),
          printer,
          watch,
          admin,
          dbName: dbInfo.name,
        });
        rows.push({ ...row, round, variant: v.name, unitsPerOp: v.unitsPerOp, unitsPerS: row.opsPerS * v.unitsPerOp, retries });
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

    console.log(['', resultTable(rows), '', ...ratioLines(rows, f.rounds), '', notes(f, pushes)].join('\n'));
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
    await runCleanups();
  }
  return exitCode;
}

async function measure(o: {
  label: string;
  concurrency: number;
  warmupS: number;
  durationS: number;
  op: (worker: number) => Promise<void>;
  printer: ProgressPrinter;
  watch: CpuWatch;
  admin: pg.Client;
  dbName: string;
}): Promise<Omit<Row, 'round' | 'variant' | 'unitsPerOp' | 'retries'>> {
  const rec = new LatencyRecorder();
  const tick = new LatencyRecorder(1 << 12);
  const errorCodes = new Map<string, number>();
  let measuring = o.warmupS === 0;
  let stopping = false;
  let started = 0;
  let done = 0;
  let doneInWindow = 0;
  let errors = 0;

  const worker = async (w: number) => {
    while (!stopping) {
      const inWindow = measuring;
      started++;
      const t0 = performance.now();
      try {
        await o.op(w);
        const ms = performance.now() - t0;
        done++;
        tick.record(ms);
        if (measuring && !stopping) doneInWindow++;
        if (inWindow) rec.record(ms);
      } catch (err) {
        if (inWindow) {
          errors++;
          const code = errorCode(err);
          errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
        }
      }
    }
  };

  let phaseStart = performance.now();
  let lastTick = phaseStart;
  const ticker = setInterval(() => {
    const now = performance.now();
    o.printer.update({
      label: o.label,
      phase: measuring ? 'measure' : 'warmup',
      elapsedS: (now - phaseStart) / 1000,
      sent: started,
      acked: done,
      errors,
      rate: (tick.count * 1000) / (now - lastTick),
      p99Ms: tick.percentile(99),
    });
    tick.reset();
    lastTick = now;
  }, 1000);

  // Lock waits: how many of this database's backends wait for a row lock at any instant.
  let samples = 0;
  let lockSum = 0;
  let activeSum = 0;
  let sampling = false;
  const sampler = setInterval(() => {
    if (!measuring || stopping || sampling) return;
    sampling = true;
    o.admin
      .query<{ lock: number; active: number }>(
        `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS lock, count(*) FILTER (WHERE state = 'active')::int AS active
         FROM pg_stat_activity WHERE datname = $1`,
        [o.dbName],
      )
      .then((r) => {
        samples++;
        lockSum += r.rows[0]!.lock;
        activeSum += r.rows[0]!.active;
      })
      .catch(() => undefined)
      .finally(() => (sampling = false));
  }, 200);

  const workers = Array.from({ length: o.concurrency }, (_, w) => worker(w));
  let cpu0 = await o.watch.snapshot();
  let windowStart = performance.now();
  try {
    if (o.warmupS > 0) {
      await sleep(o.warmupS * 1000);
      cpu0 = await o.watch.snapshot();
      measuring = true;
      started = done = 0;
      windowStart = phaseStart = performance.now();
    }
    const startLoad = load1();
    await sleep(o.durationS * 1000);
    stopping = true;
    const windowEnd = performance.now();
    const cpu1 = await o.watch.snapshot();
    await Promise.all(workers);
    const windowS = (windowEnd - windowStart) / 1000;
    return {
      concurrency: o.concurrency,
      windowS,
      ops: doneInWindow,
      opsPerS: doneInWindow / windowS,
      unitsPerS: 0,
      latency: rec.summary(),
      errors,
      errorCodes: Object.fromEntries(errorCodes),
      cpu: CpuWatch.window(cpu0, cpu1),
      lockWaiting: samples ? lockSum / samples : 0,
      active: samples ? activeSum / samples : 0,
      load1: startLoad,
    };
  } finally {
    stopping = true;
    clearInterval(ticker);
    clearInterval(sampler);
    o.printer.end();
  }
}

const other = (r: Row) => otherPct(r.cpu.machinePct, [r.cpu.selfPct, r.cpu.pgPct]);

function resultTable(rows: Row[]): string {
  const head = [
    'variant', 'workers', 'ops/s', 'transfers/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors',
    'ops/s ÷ INSERT', 'rows/s ÷ INSERT', 'p99 ÷ INSERT', 'lock waiters (avg)', 'bench CPU', 'postgres CPU', 'pg µs/op', 'other CPU', 'load avg',
  ];
  const lines = [`| ${head.join(' | ')} |`, `| --- | ${head.slice(1).map(() => '---:').join(' | ')} |`];
  for (const r of rows) {
    const base = rows.find((b) => b.round === r.round && b.unitsPerOp === 1);
    const isBase = r === base;
    const ratio = (x: number, y: number | undefined) => (isBase || !y ? '—' : `${(x / y).toFixed(2)}×`);
    lines.push(
      `| ${r.variant}${rows.some((x) => x.round > 1) ? ` #${r.round}` : ''} | ${r.concurrency} | ${r.opsPerS.toFixed(0)} | ${isBase ? '—' : r.unitsPerS.toFixed(0)} | ` +
        `${fmtMs(r.latency.p50)} | ${fmtMs(r.latency.p95)} | ${fmtMs(r.latency.p99)} | ${fmtMs(r.latency.max)} | ${r.errors}${r.retries ? ` (${r.retries} retried)` : ''} | ` +
        `${ratio(r.opsPerS, base?.opsPerS)} | ${ratio(r.unitsPerS, base?.unitsPerS)} | ${ratio(r.latency.p99, base?.latency.p99)} | ` +
        `${r.lockWaiting.toFixed(1)} of ${r.active.toFixed(1)} active | ${pct(r.cpu.selfPct)} | ${pct(r.cpu.pgPct)} | ` +
        `${r.opsPerS > 0 ? ((r.cpu.pgPct * 10_000) / r.opsPerS).toFixed(0) : '—'} | ${pct(other(r))} | ${r.load1.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

function ratioLines(rows: Row[], rounds: number): string[] {
  const out: string[] = [];
  const variants = [...new Set(rows.map((r) => r.variant))];
  const bases = new Map(rows.filter((r) => r.unitsPerOp === 1).map((r) => [r.round, r]));
  // As in the ping bench: a row counts when it and the baseline row of its round were little disturbed.
  const clean = (r: Row) => [r, bases.get(r.round)].every((x) => x !== undefined && (other(x) ?? 0) <= CLEAN_OTHER_PCT);
  out.push(`Medians per variant over the rounds in which that variant and its round's INSERT baseline both had other CPU ≤ ${CLEAN_OTHER_PCT}% (all rounds when none did):`);
  for (const v of variants) {
    const all = rows.filter((r) => r.variant === v);
    const cleanRows = all.filter(clean);
    const rs = cleanRows.length ? cleanRows : all;
    const m = (f: (r: Row) => number | undefined) => median(rs.map(f).filter((x): x is number => x !== undefined));
    const ratio = (f: (r: Row) => number) => m((r) => (bases.get(r.round) ? f(r) / f(bases.get(r.round)!) : undefined));
    const ops = m((r) => r.opsPerS);
    const units = m((r) => r.unitsPerS);
    const p99 = m((r) => r.latency.p99);
    const which = `${cleanRows.length ? cleanRows.length : `none clean, all ${all.length}`} of ${rounds} rounds`;
    out.push(
      all[0]?.unitsPerOp === 1
        ? `- ${v} (${which}): ${ops?.toFixed(0)} rows/s, p99 ${fmtMs(p99 ?? 0)} ms`
        : `- ${v} (${which}): ${ops?.toFixed(0)} ops/s, ${units?.toFixed(0)} transfers/s, p99 ${fmtMs(p99 ?? 0)} ms; vs INSERT: ` +
            `ops/s ${ratio((r) => r.opsPerS)?.toFixed(2)}×, transfers/s ÷ rows/s ${ratio((r) => r.unitsPerS)?.toFixed(2)}×, p99 ${ratio((r) => r.latency.p99)?.toFixed(2)}×`,
    );
  }
  const s16 = rows.filter((r) => r.variant === 'spend, 16 shards');
  const s1 = rows.filter((r) => r.variant === 'spend, 1 shard');
  const hot = median(s16.map((r) => r.opsPerS / (s1.find((x) => x.round === r.round)?.opsPerS ?? NaN)));
  const hotP99 = median(s16.map((r) => (s1.find((x) => x.round === r.round)?.latency.p99 ?? NaN) / r.latency.p99));
  if (hot !== undefined) out.push(`- 16 shards vs 1 shard, same round (median of ${rounds}): ${hot.toFixed(2)}× the spends/s, 1 shard's p99 ${hotP99?.toFixed(2)}× as long`);
  return out;
}

function notes(f: Flags, pushes: number): string {
  return [
    `Workers: ${f.concurrency}, each with one operation in flight; pg pool ${f.pool}. ops/s counts operations completed in the ${f.durationS}s window;`,
    `latency is per operation (for the batch: one transaction of ${f.batch} spends), from call to resolve, over every operation started in the window.`,
    `A spend writes 2 transfers (creator share and 20% platform fee). "rows/s ÷ INSERT" compares transfers/s with the baseline's rows/s.`,
    `CPU columns are % of one core (${CORES} cores = ${CORES * 100}%): bench = this process (workers and pg client), postgres = the backends`,
    `of the bench's database, other = everything else on the machine (other runs, PostgreSQL's WAL writer and checkpointer).`,
    `Lock waiters: backends of the bench's database waiting for a lock (pg_stat_activity, sampled every 200 ms). Pushes counted by the stub Realtime: ${pushes}.`,
  ].join('\n');
}

// `node --import tsx test/load/lib/ledger-bench.ts [flags]`: the same bench without bench.ts.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exit(await runLedgerBench(process.argv.slice(2)));
}
