import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../../../server/src/config.js';
import type { Database } from '../../../../server/src/db/database.js';
import { migrate } from '../../../../server/src/db/migrate.js';
import { createPgDatabase } from '../../../../server/src/db/pg.js';
import { createLogger } from '../../../../server/src/logger.js';
import { CreatorsStore } from '../../../../server/src/modules/creators/creators.store.js';
import { SubscriptionsService } from '../../../../server/src/modules/creators/subscriptions.service.js';
import { LedgerService } from '../../../../server/src/modules/ledger/ledger.service.js';
import { LedgerStore } from '../../../../server/src/modules/ledger/ledger.store.js';
import { verifyLedger } from '../../../../server/src/modules/ledger/ledger.verify.js';
import type { Realtime } from '../../../../server/src/realtime/realtime.js';
import { createTestDatabase } from '../../../support/services.js';
import { numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, load1, waitForLowLoad } from '../../lib/machine.js';
import { ProgressPrinter } from '../../lib/progress.js';

/**
 * `npm run bench -- renewals`: SubscriptionsService.renewDue (the creators.renew job's whole work) on real
 * PostgreSQL (a fresh database, migrated, the production pg driver), no HTTP. Seeded: one creator with a
 * tier of 10 credits, N fans each funded through the ledger, N subscriptions whose period ended a minute
 * ago. Variants, in one run:
 *
 *   bare spends   N ledger spends fan → creator (the transfers a renewal makes, nothing else), W at a time
 *   renewDue × 1  one job run renews all N (one node's schedule)
 *   renewDue × W  W job runs at once over a fresh set of N (several nodes' schedules racing: each renewal
 *                 is taken under its row lock, so twins skip; nothing may be charged twice)
 *
 * Afterwards every fan must have paid exactly once per period and the ledger must verify.
 */
const USAGE = `usage: npm run bench -- renewals [flags]
  --subscriptions N  subscriptions due (default 3000)
  --workers W        concurrent spends / job runs (default 4)
  --batch B          CREATOR_RENEW_BATCH (default 200)
  --no-wait          do not wait for a load average below 1.2 before starting
Only 127.0.0.1 PostgreSQL (TEST_PG_URL); the database is dropped at the end.`;

export async function benchRenewals(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      subscriptions: { type: 'string', default: '3000' },
      workers: { type: 'string', default: '4' },
      batch: { type: 'string', default: '200' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const f = {
    n: numberFlag('subscriptions', v.subscriptions, 1, 1_000_000, USAGE),
    workers: numberFlag('workers', v.workers, 1, 64, USAGE),
    batch: numberFlag('batch', v.batch, 1, 10_000, USAGE),
  };
  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log);
  cleanups.onSigint();
  const startLoad = v['no-wait'] ? load1() : await waitForLowLoad(log);
  const logger = createLogger({ level: 'silent', nodeId: 'renewals-bench' });
  const dbInfo = await createTestDatabase('pairly_renewbench');
  cleanups.add(() => dbInfo.drop());
  try {
    const db: Database = createPgDatabase({ url: dbInfo.url, poolSize: f.workers + 2, logger });
    cleanups.add(() => db.close());
    await migrate(db, logger);
    log(`renewals bench: database ${dbInfo.name}; ${f.n} subscriptions, ${f.workers} workers, batch ${f.batch}; node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}`);

    let pushes = 0;
    const realtime: Realtime = { toUser: () => void pushes++, toUsers: () => void pushes++, endSession: () => undefined };
    const ledgerStore = new LedgerStore(db);
    const ledger = new LedgerService({ db, store: ledgerStore, realtime, logger, options: { feeBps: 2000, shards: 16 } });
    const creators = loadConfig({ PAIRLY_DATA_DIR: '/tmp', CREATOR_RENEW_BATCH: String(f.batch) }).creators;
    const subs = new SubscriptionsService({
      db,
      store: new CreatorsStore(db),
      ledger,
      realtime,
      config: creators,
      logger,
      pageByHandle: () => Promise.reject(new Error('not used by renewals')),
      tipTargets: { post: () => Promise.reject(new Error('not used by renewals')), message: () => Promise.reject(new Error('not used by renewals')) },
    });

    const t0 = performance.now();
    const users = async (n: number, role: string, tag: string) =>
      (
        await db.query<{ id: string }>(
          `INSERT INTO users (email, password_hash, display_name, birthdate, role)
           SELECT 'renewbench.' || $3 || g || '.' || $4 || '@example.test', 'not-a-hash', $3 || ' ' || g, DATE '1990-01-01', $2 FROM generate_series(1, $1) g RETURNING id`,
          [n, role, tag, randomUUID().slice(0, 8)],
        )
      ).rows.map((r) => r.id);
    const [creator] = await users(1, 'creator', 'creator');
    const tierId = randomUUID();
    await db.query(`INSERT INTO creator_pages (user_id, handle) VALUES ($1, 'renewbench')`, [creator]);
    await db.query(`INSERT INTO creator_tiers (id, creator_id, rank, name, price) VALUES ($1, $2, 1, 'Fans', 10)`, [tierId, creator]);

    /** N fans, each funded with `credits` through the ledger (W at a time), and subscriptions for them, due `dueIn` from now. */
    const dueSet = async (tag: string, credits: number, dueIn: string) => {
      const fans = await users(f.n, 'fan', tag);
      await pool(fans, f.workers, (fan) => ledger.adjust({ key: `bench-fund:${fan}`, userId: fan, amount: credits, reason: 'bench', adminId: 'bench' }));
      await db.query(
        `INSERT INTO subscriptions (id, fan_id, creator_id, tier_id, status, period, months, period_price, current_period_start, current_period_end)
         SELECT gen_random_uuid(), fan, $2, $3, 'active', 1, 1, 10, now() + $4::interval - interval '30 days', now() + $4::interval
         FROM unnest($1::uuid[]) fan`,
        [fans, creator, tierId, dueIn],
      );
      return fans;
    };
    const bareFans = await users(f.n, 'fan', 'bare');
    await pool(bareFans, f.workers, (fan) => ledger.adjust({ key: `bench-fund:${fan}`, userId: fan, amount: 10, reason: 'bench', adminId: 'bench' }));
    const oneFans = await dueSet('one', 10, '-1 minute');
    // Due only once the first job run is over (made due just before the racing runs).
    const racingFans = await dueSet('racing', 10, '1 day');
    await db.exec('ANALYZE');
    log(`set-up in ${Math.round(performance.now() - t0)} ms`);

    const rows: { name: string; count: number; seconds: number }[] = [];
    const timed = async (name: string, work: () => Promise<number>) => {
      const t = performance.now();
      const count = await work();
      const seconds = (performance.now() - t) / 1000;
      rows.push({ name, count, seconds });
      log(`${name}: ${count} in ${seconds.toFixed(2)} s (${Math.round(count / seconds)}/s)`);
    };

    await timed('bare spends', async () => {
      await pool(bareFans, f.workers, (fan) => ledger.spend({ key: `bench-spend:${fan}`, fromUserId: fan, toUserId: creator!, amount: 10, kind: 'subscription' }));
      return bareFans.length;
    });
    await timed('renewDue × 1', async () => (await subs.renewDue()).renewed);
    // The racing set's subscriptions are the only ones due now (the first set renewed for 30 days).
    await db.query(`UPDATE subscriptions SET current_period_end = now() - interval '1 minute' WHERE fan_id = ANY($1::uuid[])`, [racingFans]);
    await timed(`renewDue × ${f.workers}`, async () => {
      const runs = await Promise.all(Array.from({ length: f.workers }, () => subs.renewDue()));
      return runs.reduce((sum, r) => sum + r.renewed, 0);
    });

    // Every renewal charged once: each fan of the two sets paid 10 for period 2, never twice.
    const paid = await db.query<{ fan: string; n: number }>(
      `SELECT s.fan_id AS fan, count(t.id)::int AS n FROM subscriptions s
       LEFT JOIN ledger_transfers t ON t.idempotency_key = 'sub:' || s.id || ':2:creator'
       GROUP BY s.fan_id`,
    );
    const wrong = paid.rows.filter((r) => r.n !== 1).length;
    const report = await verifyLedger(ledgerStore);
    const base = rows[0]!;
    console.log(`\nsubscription renewals (creators.renew's renewDue), ${f.n} due per variant, ${f.workers} workers, batch ${f.batch}`);
    console.log(`${'variant'.padEnd(16)} ${'count'.padStart(7)} ${'seconds'.padStart(8)} ${'per s'.padStart(8)} ${'vs bare'.padStart(8)}`);
    for (const r of rows) {
      const rate = r.count / r.seconds;
      console.log(`${r.name.padEnd(16)} ${String(r.count).padStart(7)} ${r.seconds.toFixed(2).padStart(8)} ${rate.toFixed(0).padStart(8)} ${(rate / (base.count / base.seconds)).toFixed(2).padStart(7)}×`);
    }
    console.log(`\nfans charged other than once for period 2: ${wrong} of ${paid.rows.length}; ledger verify: ${report.ok ? 'OK' : 'FAILED'}; pushes ${pushes}`);
    const ok = wrong === 0 && report.ok && rows[1]!.count === oneFans.length && rows[2]!.count === racingFans.length;
    if (!ok) console.log('FAILED: a renewal missing or charged twice, or the ledger does not verify');
    return ok ? 0 : 1;
  } finally {
    await cleanups.run();
  }
}

/** Runs `work` over `items`, `width` at a time (the bench's own, like the service's). */
async function pool<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}
