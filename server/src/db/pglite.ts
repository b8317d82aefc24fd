import { PGlite, types } from '@electric-sql/pglite';
import { cube } from '@electric-sql/pglite/contrib/cube';
import { earthdistance } from '@electric-sql/pglite/contrib/earthdistance';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { mkdirSync } from 'node:fs';
import type { Logger } from '../logger.js';
import type { Database, Queryable, QueryResult } from './database.js';
import { parseInt8, primaryOnly, setLocal } from './database.js';

/**
 * Embedded PostgreSQL (WebAssembly) on disk. One connection: transactions run
 * one after another, so concurrency behaviour is tested on real PostgreSQL.
 *
 * PGlite's WebAssembly backend can die under a query (seen: "null function or function signature mismatch"
 * in a trigram search, now and then on a loaded machine; not PostgreSQL raising an error, the process it
 * emulates crashing). The instance is then unusable: PGlite used to spin on it forever (patched at install,
 * scripts/patch-pglite.mjs), and now rejects. Pairly then opens the data dir again in a new instance
 * (PostgreSQL's crash recovery replays the WAL: what was committed stays, the crashed statement's
 * transaction is gone) and answers the statements that met the crash with an "unavailable" error (NOT_READY
 * to clients, who retry); statements after it run on the new instance. Never retried here: the crash may
 * have come after a commit, and a write run twice is not always harmless.
 */
export async function createPgliteDatabase(opts: { dir: string; logger?: Logger }): Promise<Database> {
  mkdirSync(opts.dir, { recursive: true });
  const open = () =>
    PGlite.create(opts.dir, {
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

  let db = await open();
  let reopening: Promise<void> | undefined;

  /** After a crash of `instance`: one reopen, however many statements met it; each of them fails as unavailable. */
  const afterCrash = async (instance: PGlite, err: unknown): Promise<never> => {
    if (instance === db && !reopening) {
      opts.logger?.error({ err }, 'embedded database crashed; opening it again');
      reopening = (async () => {
        await instance.close().catch(() => undefined);
        db = await open();
        opts.logger?.warn('embedded database open again');
      })()
        .catch((e: unknown) => opts.logger?.error({ err: e }, 'embedded database could not be opened again; the next statement tries'))
        .finally(() => (reopening = undefined));
    }
    await reopening;
    throw Object.assign(new Error('the embedded database restarted after an internal error; retry'), { code: '57P01', cause: err });
  };

  /** Runs `work` on the current instance (after a reopen in progress); a backend crash goes to afterCrash. */
  const onInstance = async <T>(work: (instance: PGlite) => Promise<T>): Promise<T> => {
    if (reopening) await reopening;
    const instance = db;
    try {
      return await work(instance);
    } catch (err) {
      if (isBackendCrash(err)) return afterCrash(instance, err);
      throw err;
    }
  };

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
    query: (sql, params) => onInstance((i) => wrap(i).query(sql, params)),
    exec: (sql) => onInstance((i) => wrap(i).exec(sql)),
    transaction: (fn, o) =>
      onInstance((i) =>
        i.transaction(async (tx) => {
          const settings = setLocal(o?.local);
          if (settings) await tx.exec(settings);
          return fn(wrap(tx));
        }),
      ),
    async close() {
      if (reopening) await reopening;
      await db.close();
    },
  });
}

/**
 * Not a PostgreSQL error (those carry a SQLSTATE and leave the backend usable): the WebAssembly backend
 * itself died, as a trap (RuntimeError) or an exit (Emscripten's ExitStatus, which is not an Error).
 */
export function isBackendCrash(err: unknown): boolean {
  return (err instanceof Error && err.name === 'RuntimeError') || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ExitStatus');
}
