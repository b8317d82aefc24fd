import type { Database, Queryable, QueryResult, ReplicaStatus } from './database.js';
import { pgError } from './database.js';
import { createPgDatabase } from './pg.js';
import { DependencyState, isUnavailable } from '../dependency-state.js';
import type { Logger } from '../logger.js';

export interface ReplicaOptions {
  urls: string[];
  poolSize: number;
  connectTimeoutMs: number;
  /** A user's reader() is the primary for this long after wrote(user). */
  readYourWritesMs: number;
  /** A replica further behind than this serves no reads; 0: no limit. */
  maxLagMs: number;
  checkMs: number;
  logger: Logger;
}

/**
 * Streaming replicas behind the primary's Database: reader() hands out a
 * replica pool round-robin for lag-tolerant reads.
 *
 *   reader(user) ── user wrote here < readYourWritesMs ago? ── yes ──> primary
 *        │ no
 *        └─> next healthy replica ── fails unreachable / recovery conflict ──> marked down, same query on the primary
 *
 * Read-your-writes is per node: the last write of each user is remembered by
 * the node that served it. Sessions stick to nothing, so a user's next read
 * may land on another node, which sends it to a replica; a replica replays a
 * commit within milliseconds on a healthy link, and a client that must see
 * its own write right away (its history after a send) already has it from the
 * ack. A last-write LSN carried in the session would cross nodes but costs a
 * round trip for pg_current_wal_lsn() on every write and one wait on the
 * replica per read: not worth it for lists and pages (README, "Scaling").
 *
 * A check every checkMs asks each replica how far behind it is (the gauge
 * pairly_database_replica_lag_seconds) and takes it out of, or back into,
 * the rotation.
 */
export function withReplicas(primary: Database, opts: ReplicaOptions): Database & { checkReplicas(): Promise<void> } {
  const replicas = opts.urls.map((url, i) => {
    const name = describeUrl(url);
    const state = new DependencyState(`database replica ${name}`, opts.logger);
    const db = createPgDatabase({ url, poolSize: opts.poolSize, connectTimeoutMs: opts.connectTimeoutMs, logger: opts.logger, state });
    return { i, db, status: { name, healthy: false, lagMs: null, lagBytes: null } as ReplicaStatus, caughtUpAt: undefined as number | undefined };
  });
  const lastWrite = new Map<string, number>();
  let next = 0;

  const setHealthy = (r: (typeof replicas)[number], healthy: boolean, why?: unknown) => {
    if (r.status.healthy === healthy) return;
    r.status.healthy = healthy;
    if (healthy) opts.logger.info({ replica: r.status.name }, 'database replica serving reads');
    else opts.logger.warn({ replica: r.status.name, cause: why instanceof Error ? why.message : String(why) }, 'database replica out of the read rotation');
  };

  /**
   * Lag in time is how long the replica has been behind: it has everything the primary had committed when
   * it was last seen caught up, so its reads are at most that old. (The age of the last replayed
   * transaction, the usual figure, grows on an idle primary and would take a healthy replica out whenever
   * a checkpoint's WAL is in flight; it is used only before the replica was ever seen caught up.)
   */
  const check = async (r: (typeof replicas)[number], primary: { lsn: string; at: number } | undefined) => {
    try {
      const { rows } = await r.db.query<{ recovery: boolean; lag_bytes: string | null; replay_age_ms: number | null }>(
        `SELECT pg_is_in_recovery() AS recovery,
                pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::text AS lag_bytes,
                (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS replay_age_ms`,
        [primary?.lsn ?? null],
      );
      const row = rows[0]!;
      // No LSN from the primary (it did not answer): the lag is unknown, and the replica still serves.
      const lagBytes = row.lag_bytes === null ? null : Math.max(0, Number(row.lag_bytes));
      if (primary && lagBytes === 0) r.caughtUpAt = primary.at;
      r.status.lagBytes = lagBytes;
      r.status.lagMs = lagBytes === null ? null : lagBytes === 0 ? 0 : r.caughtUpAt !== undefined ? Date.now() - r.caughtUpAt : Math.max(0, row.replay_age_ms ?? 0);
      // Not in recovery: promoted, so it no longer follows this primary.
      if (!row.recovery) return setHealthy(r, false, 'not in recovery (promoted?)');
      if (opts.maxLagMs > 0 && r.status.lagMs !== null && r.status.lagMs > opts.maxLagMs) return setHealthy(r, false, `${Math.round(r.status.lagMs)} ms behind`);
      setHealthy(r, true);
    } catch (err) {
      r.status.lagMs = null;
      r.status.lagBytes = null;
      setHealthy(r, false, err);
    }
  };

  const checkReplicas = async () => {
    const at = Date.now();
    const primaryLsn = await primary
      .query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')
      .then((r) => r.rows[0] && { lsn: r.rows[0].lsn, at })
      .catch(() => undefined);
    await Promise.all(replicas.map((r) => check(r, primaryLsn)));
    const since = Date.now() - opts.readYourWritesMs;
    for (const [user, at] of lastWrite) if (at < since) lastWrite.delete(user);
  };
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= checkReplicas().finally(() => (running = undefined));
  }, opts.checkMs);
  timer.unref();

  /** The replica answers, or the primary does when the replica cannot: users never see a replica's outage. */
  const onReplica = (r: (typeof replicas)[number]): Queryable => ({
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      try {
        return await r.db.query<T>(sql, params);
      } catch (err) {
        if (!fallsBack(err)) throw err;
        setHealthy(r, false, err);
        return primary.query<T>(sql, params);
      }
    },
    exec: (sql) => primary.exec(sql),
  });
  const readers = replicas.map(onReplica);

  const reader = (userId?: string): Queryable => {
    if (userId !== undefined) {
      const at = lastWrite.get(userId);
      if (at !== undefined && Date.now() - at < opts.readYourWritesMs) return primary;
    }
    for (let n = 0; n < replicas.length; n++) {
      const r = replicas[(next + n) % replicas.length]!;
      if (r.status.healthy) {
        next = (r.i + 1) % replicas.length;
        return readers[r.i]!;
      }
    }
    return primary;
  };

  return {
    driver: primary.driver,
    query: (sql, params, opts) => primary.query(sql, params, opts),
    exec: (sql) => primary.exec(sql),
    transaction: (fn, opts) => primary.transaction(fn, opts),
    reader,
    wrote(userId) {
      if (opts.readYourWritesMs > 0) lastWrite.set(userId, Date.now());
    },
    replicas: () => replicas.map((r) => ({ ...r.status })),
    checkReplicas,
    async close() {
      clearInterval(timer);
      await running;
      await Promise.all(replicas.map((r) => r.db.close()));
      await primary.close();
    },
  };
}

/**
 * Errors the primary would not give: the replica is unreachable, or cancelled
 * the read because replay needed its rows (a recovery conflict, 40001 with
 * "conflict with recovery") or is shutting down.
 */
function fallsBack(err: unknown): boolean {
  if (isUnavailable(err)) return true;
  const e = pgError(err);
  return e?.code === '40001' && /conflict with recovery/i.test(e.message);
}

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return 'replica';
  }
}
