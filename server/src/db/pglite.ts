import { PGlite, types } from '@electric-sql/pglite';
import { cube } from '@electric-sql/pglite/contrib/cube';
import { earthdistance } from '@electric-sql/pglite/contrib/earthdistance';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { mkdirSync } from 'node:fs';
import type { Database, Queryable, QueryResult } from './database.js';
import { parseInt8, primaryOnly, setLocal } from './database.js';

/**
 * Embedded PostgreSQL (WebAssembly) on disk. One connection: transactions run
 * one after another, so concurrency behaviour is tested on real PostgreSQL.
 */
export async function createPgliteDatabase(opts: { dir: string }): Promise<Database> {
  mkdirSync(opts.dir, { recursive: true });
  const db = await PGlite.create(opts.dir, {
    parsers: { [types.INT8]: (v: string) => parseInt8(v) },
    // Contrib extensions load only when given here; the migrations CREATE EXTENSION them (distance search,
    // typo-tolerant text search).
    extensions: { cube, earthdistance, pg_trgm },
    // PostgreSQL's default 128 MB of shared buffers live in PGlite's WebAssembly memory, which only grows:
    // once a busy moment has touched them they stay resident for the process's life (an idle embedded
    // server measured 600 MB RSS, 160 MB of it this memory). One connection and a small data dir need far
    // less; the OS page cache still holds the files (BENCHMARKS.md, "Connections and memory"). Start
    // parameters rather than `postgresqlconf`, which PGlite cannot write into a data dir not yet created.
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'wal_buffers=1MB'],
  });

  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      const res = await q.query<T>(sql, params);
      return { rows: res.rows, rowCount: res.rows.length || (res.affectedRows ?? 0) };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });

  return primaryOnly({
    driver: 'pglite',
    ...wrap(db),
    transaction: (fn, o) =>
      db.transaction(async (tx) => {
        const settings = setLocal(o?.local);
        if (settings) await tx.exec(settings);
        return fn(wrap(tx));
      }),
    async close() {
      await db.close();
    },
  });
}
