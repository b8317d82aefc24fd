import { createPgDatabase } from '../../../../server/src/db/pg.js';
import { migrate } from '../../../../server/src/db/migrate.js';
import { createLogger } from '../../../../server/src/logger.js';
import { PostsStore } from '../../../../server/src/modules/posts/posts.store.js';
import { createTestDatabase } from '../../../support/services.js';
import { load1 } from '../../lib/machine.js';

/**
 * What one fan-out batch costs PostgreSQL, per batch size: the store's own fanoutBatch (no copy of its SQL),
 * run back to back for one post to F followers (seeded by SQL), timed per batch, with the temporary-file bytes
 * PostgreSQL wrote meanwhile (pg_stat_database.temp_bytes: a plan that sorts or hashes the whole audience
 * spills). A batch's time is how long it holds a database core, which is what other users' statements
 * queue behind on a small machine.
 *
 *   node --import tsx test/load/scenarios/feed/batch-cost.ts [followers=100000] [batch sizes=5000,2000,1000]
 */
const followers = Number(process.argv[2] ?? 100_000);
const sizes = (process.argv[3] ?? '5000,2000,1000').split(',').map(Number);
const logger = createLogger({ level: 'silent', nodeId: 'batch-cost' });
const info = await createTestDatabase('pairly_batchcost');
try {
  const db = createPgDatabase({ url: info.url, poolSize: 2, logger });
  await migrate(db, logger);
  const store = new PostsStore(db);
  const [star] = (await db.query<{ id: string }>(`INSERT INTO users (email, password_hash, display_name, birthdate, role) VALUES ('star@example.test', 'x', 'Star', DATE '1990-01-01', 'creator') RETURNING id`)).rows;
  await db.query(
    `WITH u AS (INSERT INTO users (email, password_hash, display_name, birthdate, role)
       SELECT 'f' || g || '@example.test', 'x', 'F ' || g, DATE '1990-01-01', 'fan' FROM generate_series(1, $1) g RETURNING id)
     INSERT INTO follows (follower_id, creator_id) SELECT u.id, $2 FROM u`,
    [followers, star!.id],
  );
  await db.exec('ANALYZE');
  const tempBytes = async () => Number((await db.query<{ b: string }>(`SELECT temp_bytes::text AS b FROM pg_stat_database WHERE datname = current_database()`)).rows[0]!.b);
  console.log(`${followers} followers; load average ${load1().toFixed(2)} (2 cores, shared)`);
  console.log('| batch | batches | total | rows/s | per batch p50 | per batch max | temp files written |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const batch of sizes) {
    const [post] = (await db.query<{ id: string; published_at: Date }>(`INSERT INTO posts (id, creator_id, body, visibility, published_at) VALUES (gen_random_uuid(), $1, 'x', 'free', now()) RETURNING id, published_at`, [star!.id])).rows;
    const t0 = performance.now();
    const temp0 = await tempBytes();
    const times: number[] = [];
    let after: string | null = null;
    let rows = 0;
    for (;;) {
      const t = performance.now();
      const r = await store.fanoutBatch({ id: post!.id, creator_id: star!.id, published_at: post!.published_at }, after, batch);
      times.push(performance.now() - t);
      rows += r.n;
      if (r.n < batch) break;
      after = r.last;
    }
    const total = performance.now() - t0;
    // pg_stat_database is updated when a backend reports its statistics (at the latest ~1 s later).
    await new Promise((r) => setTimeout(r, 1100));
    const temp = (await tempBytes()) - temp0;
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `| ${batch} | ${times.length} | ${(total / 1000).toFixed(2)} s | ${Math.round(rows / (total / 1000))} | ${sorted[sorted.length >> 1]!.toFixed(0)} ms | ${sorted.at(-1)!.toFixed(0)} ms | ${(temp / 1048576).toFixed(1)} MB |`,
    );
  }
  await db.close();
} finally {
  await info.drop();
}
