import { createPgDatabase } from '../../../../server/src/db/pg.js';
import type { Database } from '../../../../server/src/db/database.js';
import { migrate } from '../../../../server/src/db/migrate.js';
import type { JobQueue } from '../../../../server/src/jobs/jobs.js';
import { createLogger } from '../../../../server/src/logger.js';
import { FeedService } from '../../../../server/src/modules/posts/posts.feed.js';
import { PostsStore } from '../../../../server/src/modules/posts/posts.store.js';
import { createTestDatabase } from '../../../support/services.js';
import { numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, load1, waitForLowLoad } from '../../lib/machine.js';
import { ProgressPrinter } from '../../lib/progress.js';

/**
 * `npm run bench -- feed`: the feed of the posts module on real PostgreSQL (a fresh database, migrated,
 * the production pg driver), driving FeedService and PostsStore directly (no HTTP: what is measured is the
 * SQL and the service's work). Seeded by SQL (generate_series):
 *
 *   reader     follows C creators (default 1,000) with P posts each (default 20, over 30 days), all fanned
 *              out into the reader's feed_items, plus B big creators (default 5, in feed_big_creators,
 *              P posts each) merged on read
 *   fan-out    one creator with F followers (default 100,000): one post, FeedService.fanout with
 *              FEED_FANOUT_BATCH rows per transaction
 *
 * Phase 1: feed reads by W concurrent workers (closed loop) for D seconds: page 1, then following
 * nextCursor for up to 5 pages, then page 1 again; each page 20 posts with the full read (candidates, access
 * re-check, counts, views). Phase 2: the fan-out, timed, with the same readers running meanwhile (their
 * p99 during the fan-out is the second read row).
 */
const USAGE = `usage: npm run bench -- feed [flags]
  --creators C     creators the reader follows (default 1000)
  --posts P        posts per creator (default 20)
  --big B          big creators the reader follows, merged on read (default 5)
  --followers F    followers of the fan-out creator (default 100000)
  --batch N        feed rows per fan-out transaction (default 5000)
  --workers W      concurrent feed readers (default 4)
  --duration S     seconds of feed reads in phase 1 (default 15)
  --no-wait        do not wait for a load average below 1.2 before starting
Only 127.0.0.1 PostgreSQL (TEST_PG_URL); the database is dropped at the end.`;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => `${n.toFixed(1)} ms`;

export async function benchFeed(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      creators: { type: 'string', default: '1000' },
      posts: { type: 'string', default: '20' },
      big: { type: 'string', default: '5' },
      followers: { type: 'string', default: '100000' },
      batch: { type: 'string', default: '5000' },
      workers: { type: 'string', default: '4' },
      duration: { type: 'string', default: '15' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const f = {
    creators: numberFlag('creators', v.creators, 1, 100_000, USAGE),
    posts: numberFlag('posts', v.posts, 1, 1000, USAGE),
    big: numberFlag('big', v.big, 0, 1000, USAGE),
    followers: numberFlag('followers', v.followers, 1, 10_000_000, USAGE),
    batch: numberFlag('batch', v.batch, 1, 100_000, USAGE),
    workers: numberFlag('workers', v.workers, 1, 64, USAGE),
    durationS: numberFlag('duration', v.duration, 1, 3600, USAGE),
  };
  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log);
  cleanups.onSigint();
  const startLoad = v['no-wait'] ? load1() : await waitForLowLoad(log);
  const logger = createLogger({ level: 'silent', nodeId: 'feed-bench' });
  const dbInfo = await createTestDatabase('pairly_feedbench');
  cleanups.add(() => dbInfo.drop());
  try {
    const db: Database = createPgDatabase({ url: dbInfo.url, poolSize: f.workers + 2, logger });
    cleanups.add(() => db.close());
    await migrate(db, logger);
    log(`feed bench: database ${dbInfo.name}; node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}`);

    const t0 = performance.now();
    const users = async (n: number, role: string, tag: string) =>
      (
        await db.query<{ id: string }>(
          `INSERT INTO users (email, password_hash, display_name, birthdate, role)
           SELECT 'feedbench.' || $3 || g || '@example.test', 'not-a-hash', $3 || ' ' || g, DATE '1990-01-01', $2 FROM generate_series(1, $1) g RETURNING id`,
          [n, role, tag],
        )
      ).rows.map((r) => r.id);
    const [reader] = await users(1, 'fan', 'reader');
    const creators = await users(f.creators, 'creator', 'creator');
    const bigs = await users(f.big, 'creator', 'big');
    const [star] = await users(1, 'creator', 'star');
    const followers = await users(f.followers, 'fan', 'follower');
    await db.query(`INSERT INTO follows (follower_id, creator_id) SELECT $1, c FROM unnest($2::uuid[]) c`, [reader, [...creators, ...bigs]]);
    await db.query(`INSERT INTO follows (follower_id, creator_id) SELECT u, $1 FROM unnest($2::uuid[]) u`, [star, followers]);
    await db.query(
      `INSERT INTO posts (id, creator_id, body, visibility, published_at, fanout_done_at)
       SELECT gen_random_uuid(), c, 'bench post ' || g, 'free', now() - random() * interval '30 days', now()
       FROM unnest($1::uuid[]) c, generate_series(1, $2) g`,
      [[...creators, ...bigs], f.posts],
    );
    await db.query(`INSERT INTO feed_items (user_id, published_at, post_id) SELECT $1, p.published_at, p.id FROM posts p WHERE p.creator_id = ANY($2::uuid[])`, [reader, creators]);
    await db.query(`INSERT INTO feed_big_creators (creator_id, audience) SELECT c, 1000000 FROM unnest($1::uuid[]) c`, [bigs]);
    await db.exec('ANALYZE');
    log(`set-up in ${Math.round(performance.now() - t0)} ms: reader follows ${f.creators} creators × ${f.posts} posts (fanned out) + ${f.big} big creators (merged on read); ${f.followers} followers of one creator`);

    const jobs = { driver: 'inline', enqueue: async () => undefined } as unknown as JobQueue;
    const media = {
      grantedViews: async (_v: unknown, _k: unknown, g: { full: string[]; preview: string[] }) =>
        g.full.length + g.preview.length === 0 ? { full: new Map(), preview: new Map() } : Promise.reject(new Error('bench posts carry no media')),
    };
    const feed = new FeedService({ store: new PostsStore(db), media, jobs, logger, config: { fanoutMax: f.followers + 1, fanoutBatch: f.batch, fanoutDutyPercent: 100, backfillPosts: 10, sweepSeconds: 60 } });
    const viewer = { userId: reader!, role: 'fan' as const };

    /** W closed-loop readers until `stop`; page latencies in ms. */
    const readLoop = async (stop: () => boolean) => {
      const lat: number[] = [];
      let errors = 0;
      await Promise.all(
        Array.from({ length: f.workers }, async () => {
          let cursor: string | undefined;
          let depth = 0;
          while (!stop()) {
            const t = performance.now();
            try {
              const page = await feed.feed(viewer, cursor, 20);
              lat.push(performance.now() - t);
              if (page.posts.length === 0 && !cursor) throw new Error('empty first page');
              depth++;
              cursor = page.nextCursor && depth < 5 ? page.nextCursor : undefined;
              if (!cursor) depth = 0;
            } catch (err) {
              errors++;
              if (errors === 1) log(`read failed: ${(err as Error).message}`);
            }
          }
        }),
      );
      return { lat: lat.sort((a, b) => a - b), errors };
    };
    const row = (name: string, r: { lat: number[]; errors: number }, seconds: number) =>
      `${name.padEnd(28)} ${String(r.lat.length).padStart(7)} ${(r.lat.length / seconds).toFixed(0).padStart(8)} ${ms(pct(r.lat, 50)).padStart(10)} ${ms(pct(r.lat, 99)).padStart(10)} ${ms(r.lat.at(-1) ?? NaN).padStart(10)} ${String(r.errors).padStart(6)}`;

    // Phase 1: reads alone.
    await readLoop(((end) => () => performance.now() > end)(performance.now() + 2000)); // warm-up
    const readEnd = performance.now() + f.durationS * 1000;
    const alone = await readLoop(() => performance.now() > readEnd);

    // Phase 2: one post to F followers, readers running meanwhile.
    const postId = crypto.randomUUID();
    await db.query(`INSERT INTO posts (id, creator_id, body, visibility, published_at) VALUES ($1, $2, 'to everyone', 'free', now())`, [postId, star]);
    let fanning = true;
    const tf = performance.now();
    const during = readLoop(() => !fanning);
    const tc = performance.now();
    const audience = await new PostsStore(db).audienceUpTo(star!, f.followers + 1);
    const countMs = performance.now() - tc;
    const result = await feed.fanout(postId);
    const fanMs = performance.now() - tf;
    fanning = false;
    const duringReads = await during;
    const written = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM feed_items WHERE post_id = $1`, [postId])).rows[0]!.n;

    console.log(`\nfeed read (page of 20; reader follows ${f.creators} + ${f.big} big creators; ${f.workers} workers)`);
    console.log(`${'variant'.padEnd(28)} ${'pages'.padStart(7)} ${'pages/s'.padStart(8)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)} ${'errors'.padStart(6)}`);
    console.log(row('reads alone', alone, f.durationS));
    console.log(row('reads during the fan-out', duringReads, fanMs / 1000));
    console.log(`\nfan-out of one post to ${f.followers} followers (batches of ${f.batch}, one transaction each)`);
    console.log(`  audience counted (up to FEED_FANOUT_MAX): ${audience} in ${ms(countMs)}`);
    console.log(`  rows written: ${result.written} (in feed_items: ${written}), time to finish ${(fanMs / 1000).toFixed(2)} s, ${Math.round(written / (fanMs / 1000))} rows/s`);
    const ok = written === f.followers && alone.errors === 0 && duringReads.errors === 0;
    if (!ok) console.log('FAILED: not every follower got the row, or reads failed');
    return ok ? 0 : 1;
  } finally {
    await cleanups.run();
  }
}
