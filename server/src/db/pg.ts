import pg from 'pg';
import type { Database, Queryable, QueryOptions, QueryResult, TransactionOptions } from './database.js';
import { parseInt8, primaryOnly, setLocal } from './database.js';
import { DependencyState, isPoolExhausted, isUnavailable } from '../dependency-state.js';
import type { Logger } from '../logger.js';

const INT8_OID = 20;

export function createPgDatabase(opts: { url: string; poolSize: number; connectTimeoutMs?: number; logger: Logger; state?: DependencyState }): Database {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  // A bounded wait for a client: an exhausted pool or an unreachable server fails requests (and recovers) instead of hanging the node.
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize, types, connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000 });
  const state = opts.state ?? new DependencyState('database', opts.logger);
  const failed = (err: unknown) => {
    // A pool with no free client in time is busy, not down.
    if (isUnavailable(err) && !isPoolExhausted(err)) state.down(err);
  };
  // An idle client losing its connection must not crash the process; it is how a restart of PostgreSQL shows first.
  pool.on('error', (err) => {
    failed(err);
    opts.logger.debug({ err }, 'postgres pool client error');
  });
  /** Every round trip tells the state whether PostgreSQL answered. */
  const watch = async <T>(p: Promise<T>): Promise<T> => {
    try {
      const result = await p;
      state.up();
      return result;
    } catch (err) {
      failed(err);
      throw err;
    }
  };

  const wrap = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
      const res = await watch(opts?.name ? client.query({ name: opts.name, text: sql, values: params }) : client.query(sql, params as unknown[]));
      return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await watch(client.query(sql));
    },
  });

  return primaryOnly({
    driver: 'pg',
    ...wrap(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>, o?: TransactionOptions): Promise<T> {
      const client = await watch(pool.connect());
      // A connection lost between two statements is emitted on the checked-out client: unheard, it would crash the process.
      client.on('error', failed);
      const tx = wrap(client);
      try {
        const settings = setLocal(o?.local);
        await tx.exec(settings ? `BEGIN; ${settings}` : 'BEGIN');
        const result = await fn(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.off('error', failed);
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  });
}
