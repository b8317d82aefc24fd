import type { Database } from '../../../../server/src/db/database.js';
import { migrate } from '../../../../server/src/db/migrate.js';
import { createPgDatabase } from '../../../../server/src/db/pg.js';
import { createLogger } from '../../../../server/src/logger.js';
import { AnalyticsService } from '../../../../server/src/modules/analytics/analytics.service.js';
import { AnalyticsStore } from '../../../../server/src/modules/analytics/analytics.store.js';
import { createTestDatabase } from '../../../support/services.js';
import { numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, load1, median, waitForLowLoad } from '../../lib/machine.js';
import { ProgressPrinter } from '../../lib/progress.js';

/**
 * `npm run bench -- analytics`: AnalyticsService.rollup (the analytics.rollup job's work for one day) on real
 * PostgreSQL (a fresh database, migrated, the production pg driver). Seeded by SQL: N users, each signing up
 * on one of the D days; on each day a user is active with probability A% and then records E events of mixed
 * kinds (logins, messages, paid actions, purchases, verifications). Timed, R runs each, median reported:
 *
 *   COUNT 30 days   SELECT count(*) over the 30 days of events a day's MAU reads (the bare baseline)
 *   COUNT 1 day     the same over the day itself
 *   roll-up last    rollup() of the last day: DAU/WAU/MAU over the 30-day window, events, revenue, creators
 *   roll-up first   rollup() of the first day: its cohort's funnel (every later event of theirs) and D1/D7 retention
 *
 * The ledger and creators tables are empty here: revenue and creator figures cost their (empty) reads only.
 */
const USAGE = `usage: npm run bench -- analytics [flags]
  --users N     users (default 100000)
  --days D      days of events (default 30)
  --active A    percent of users active on a day (default 30)
  --events E    events per active user per day (default 3)
  --runs R      timed runs of each variant (default 3)
  --no-wait     do not wait for a load average below 1.2 before starting
Only 127.0.0.1 PostgreSQL (TEST_PG_URL); the database is dropped at the end.`;

const KINDS = ['login', 'message', 'login', 'match', 'tip', 'unlock', 'subscription', 'call', 'purchase', 'verification'];
const DAY_MS = 86_400_000;

export async function benchAnalytics(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      users: { type: 'string', default: '100000' },
      days: { type: 'string', default: '30' },
      active: { type: 'string', default: '30' },
      events: { type: 'string', default: '3' },
      runs: { type: 'string', default: '3' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const f = {
    users: numberFlag('users', v.users, 1, 10_000_000, USAGE),
    days: numberFlag('days', v.days, 2, 365, USAGE),
    active: numberFlag('active', v.active, 1, 100, USAGE),
    events: numberFlag('events', v.events, 1, 100, USAGE),
    runs: numberFlag('runs', v.runs, 1, 20, USAGE),
  };
  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log);
  cleanups.onSigint();
  const startLoad = v['no-wait'] ? load1() : await waitForLowLoad(log);
  const logger = createLogger({ level: 'silent', nodeId: 'analytics-bench' });
  const dbInfo = await createTestDatabase('pairly_analyticsbench');
  cleanups.add(() => dbInfo.drop());
  try {
    const db: Database = createPgDatabase({ url: dbInfo.url, poolSize: 8, logger });
    cleanups.add(() => db.close());
    await migrate(db, logger);
    log(`analytics bench: database ${dbInfo.name}; ${f.users} users, ${f.days} days, ${f.active}% active a day, ${f.events} events each; node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}`);

    // Whole days ending yesterday (UTC), so every day of the history is over.
    const end = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const start = new Date(end - f.days * DAY_MS);
    const t0 = performance.now();
    await db.query(
      `INSERT INTO analytics_events (kind, user_id, at)
       SELECT 'signup', md5(g::text)::uuid, $1::timestamptz + (g % $3) * interval '1 day' + (g % 86400) * interval '1 second'
       FROM generate_series(1, $2) g`,
      [start, f.users, f.days],
    );
    // One day at a time, so no single statement holds the whole history in memory.
    for (let d = 0; d < f.days; d++) {
      await db.query(
        `INSERT INTO analytics_events (kind, user_id, at, props)
         SELECT ($6::text[])[1 + (g + e * 7 + $2) % cardinality($6::text[])], md5(g::text)::uuid,
                $1::timestamptz + $2 * interval '1 day' + ((g * 13 + e * 3607) % 86400) * interval '1 second',
                CASE WHEN (g + e) % 10 = 1 THEN '{"count": 4}'::jsonb ELSE '{}'::jsonb END
         FROM generate_series(1, $3) g, generate_series(1, $5) e
         WHERE (g * 31 + $2 * 17) % 100 < $4`,
        [start, d, f.users, f.active, f.events, KINDS],
      );
      printer.status(`seeding: day ${d + 1} of ${f.days}`);
    }
    await db.exec('ANALYZE analytics_events');
    const { rows: sized } = await db.query<{ n: string; size: string }>(`SELECT count(*)::text AS n, pg_size_pretty(pg_total_relation_size('analytics_events')) AS size FROM analytics_events`);
    log(`seeded ${sized[0]!.n} events (${sized[0]!.size} with indexes) in ${Math.round(performance.now() - t0)} ms`);

    const service = new AnalyticsService({ store: new AnalyticsStore(db), jobs: { enqueue: () => Promise.reject(new Error('not used by the bench')) } });
    const firstDay = start.toISOString().slice(0, 10);
    const lastDay = new Date(end - DAY_MS).toISOString().slice(0, 10);
    const monthFrom = new Date(end - 30 * DAY_MS);
    const rows: { name: string; ms: number; note: string }[] = [];
    const timed = async (name: string, work: () => Promise<string>) => {
      const times: number[] = [];
      let note = '';
      for (let i = 0; i < f.runs; i++) {
        const t = performance.now();
        note = await work();
        times.push(performance.now() - t);
      }
      const ms = median(times)!;
      rows.push({ name, ms, note });
      log(`${name}: median ${ms.toFixed(0)} ms of ${f.runs} (${times.map((t) => t.toFixed(0)).join(', ')}) ${note}`);
    };
    await timed('COUNT 30 days', async () => {
      const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM analytics_events WHERE at >= $1 AND at < $2`, [monthFrom, new Date(end)]);
      return `${r.rows[0]!.n} rows`;
    });
    await timed('COUNT 1 day', async () => {
      const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM analytics_events WHERE at >= $1 AND at < $2`, [new Date(end - DAY_MS), new Date(end)]);
      return `${r.rows[0]!.n} rows`;
    });
    await timed('roll-up last day', async () => `${(await service.rollup(lastDay)).rows} figures`);
    await timed('roll-up first day', async () => `${(await service.rollup(firstDay)).rows} figures`);

    const figures = await db.query<{ metric: string; value: number }>(`SELECT metric, value FROM analytics_daily WHERE day = $1 AND dimension = '' ORDER BY metric`, [lastDay]);
    const first = await db.query<{ metric: string; value: number }>(`SELECT metric, value FROM analytics_daily WHERE day = $1 AND metric LIKE 'retention.%' OR day = $1 AND metric LIKE 'funnel.%' ORDER BY metric`, [firstDay]);
    const endLoad = load1();
    const base = rows[0]!.ms;
    console.log(`\nanalytics roll-up, ${f.users} users, ${f.days} days (${sized[0]!.n} events), median of ${f.runs} runs; load average ${startLoad.toFixed(2)} → ${endLoad.toFixed(2)} on ${CORES} cores`);
    console.log(`${'variant'.padEnd(18)} ${'ms'.padStart(8)} ${'vs COUNT 30 days'.padStart(17)}  result`);
    for (const r of rows) console.log(`${r.name.padEnd(18)} ${r.ms.toFixed(0).padStart(8)} ${(r.ms / base).toFixed(2).padStart(16)}×  ${r.note}`);
    console.log(`\n${lastDay}: ${figures.rows.filter((r) => ['dau', 'wau', 'mau'].includes(r.metric)).map((r) => `${r.metric} ${r.value}`).join(', ')}`);
    console.log(`${firstDay} cohort: ${first.rows.map((r) => `${r.metric} ${r.value}`).join(', ')}`);
    const mau = figures.rows.find((r) => r.metric === 'mau')?.value ?? 0;
    const ok = mau > 0 && mau <= f.users;
    if (!ok) console.log('FAILED: the last day has no monthly actives, or more than the users seeded');
    return ok ? 0 : 1;
  } finally {
    await cleanups.run();
  }
}
