import type { Database } from '../../db/database.js';

/** One event waiting in a node's buffer. */
export interface EventRow {
  kind: string;
  userId: string;
  at: Date;
  props: Record<string, unknown>;
}

/** One analytics_daily row of a day. */
export interface DailyRow {
  metric: string;
  dimension: string;
  value: number;
}

export interface RevenueSums {
  sold: number;
  buyers: number;
  spend: number;
  take: number;
}

export interface AudienceSums {
  creator_id: string;
  followers: number;
  new_followers: number;
  subscribers: number;
  churned: number;
}

/**
 * analytics_events and analytics_daily, and the roll-up's reads of what other modules publish:
 * the ledger's revenue_lines and earnings_lines, creators' creator_audience_history.
 * Every range is [from, to) in UTC instants.
 */
export class AnalyticsStore {
  constructor(private readonly db: Database) {}

  /** A whole buffer in one statement. */
  async insertEvents(rows: EventRow[]): Promise<void> {
    await this.db.query(
      `INSERT INTO analytics_events (kind, user_id, at, props)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::jsonb[])`,
      [rows.map((r) => r.kind), rows.map((r) => r.userId), rows.map((r) => r.at), rows.map((r) => JSON.stringify(r.props))],
    );
  }

  /** Distinct active users over the day, the 7 days and the 30 days ending at `to`. */
  async actives(monthFrom: Date, weekFrom: Date, dayFrom: Date, to: Date): Promise<{ dau: number; wau: number; mau: number }> {
    const { rows } = await this.db.query<{ dau: number; wau: number; mau: number }>(
      `SELECT count(DISTINCT user_id) FILTER (WHERE at >= $3)::int AS dau,
              count(DISTINCT user_id) FILTER (WHERE at >= $2)::int AS wau,
              count(DISTINCT user_id)::int AS mau
       FROM analytics_events WHERE at >= $1 AND at < $4`,
      [monthFrom, weekFrom, dayFrom, to],
    );
    return rows[0]!;
  }

  /** Events by kind; a message event counts the messages it stands for (props.count). */
  async kindTotals(from: Date, to: Date): Promise<{ kind: string; total: number }[]> {
    const { rows } = await this.db.query<{ kind: string; total: number }>(
      `SELECT kind, sum(coalesce((props ->> 'count')::bigint, 1))::bigint AS total
       FROM analytics_events WHERE at >= $1 AND at < $2 GROUP BY kind`,
      [from, to],
    );
    return rows.map((r) => ({ kind: r.kind, total: Number(r.total) }));
  }

  /** Of the users who signed up in [from, to): how many, and how many have an event of each later step since `from`. */
  async funnel(from: Date, to: Date, paidKinds: readonly string[]): Promise<{ signup: number; verified: number; purchased: number; paid_action: number }> {
    const { rows } = await this.db.query<{ signup: number; verified: number; purchased: number; paid_action: number }>(
      `WITH cohort AS (SELECT DISTINCT user_id FROM analytics_events WHERE kind = 'signup' AND at >= $1 AND at < $2),
            steps AS (
              SELECT e.user_id, bool_or(e.kind = 'verification') AS verified, bool_or(e.kind = 'purchase') AS purchased, bool_or(e.kind = ANY($3::text[])) AS paid
              FROM analytics_events e JOIN cohort c ON c.user_id = e.user_id
              WHERE e.at >= $1 AND (e.kind IN ('verification', 'purchase') OR e.kind = ANY($3::text[]))
              GROUP BY e.user_id)
       SELECT (SELECT count(*) FROM cohort)::int AS signup,
              count(*) FILTER (WHERE verified)::int AS verified,
              count(*) FILTER (WHERE purchased)::int AS purchased,
              count(*) FILTER (WHERE paid)::int AS paid_action
       FROM steps`,
      [from, to, paidKinds],
    );
    return rows[0]!;
  }

  /** Of the users who signed up in [from, to), how many have any event in [activeFrom, activeTo). */
  async retained(from: Date, to: Date, activeFrom: Date, activeTo: Date): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(DISTINCT e.user_id)::int AS n
       FROM analytics_events e
       WHERE e.at >= $3 AND e.at < $4
         AND e.user_id IN (SELECT user_id FROM analytics_events WHERE kind = 'signup' AND at >= $1 AND at < $2)`,
      [from, to, activeFrom, activeTo],
    );
    return rows[0]!.n;
  }

  /** Credits bought (and by how many), fans' net spend and the platform's net take, from the ledger's revenue_lines. */
  async revenue(from: Date, to: Date): Promise<RevenueSums> {
    const { rows } = await this.db.query<RevenueSums>(
      `SELECT coalesce(sum(amount) FILTER (WHERE kind = 'purchase' AND credit_kind = 'wallet'), 0)::bigint AS sold,
              count(DISTINCT credit_user_id) FILTER (WHERE kind = 'purchase' AND credit_kind = 'wallet')::int AS buyers,
              (coalesce(sum(amount) FILTER (WHERE debit_kind IN ('wallet', 'escrow') AND credit_kind IN ('earnings', 'revenue')), 0)
                - coalesce(sum(amount) FILTER (WHERE debit_kind IN ('earnings', 'revenue') AND credit_kind = 'wallet'), 0))::bigint AS spend,
              (coalesce(sum(amount) FILTER (WHERE credit_kind = 'revenue'), 0)
                - coalesce(sum(amount) FILTER (WHERE debit_kind = 'revenue'), 0))::bigint AS take
       FROM revenue_lines WHERE created_at >= $1 AND created_at < $2`,
      [from, to],
    );
    const r = rows[0]!;
    return { sold: Number(r.sold), buyers: r.buyers, spend: Number(r.spend), take: Number(r.take) };
  }

  /** Per creator at the end of [from, to): followers and subscribers, and the follows begun and subscriptions ended within it. */
  async audience(from: Date, to: Date): Promise<AudienceSums[]> {
    const { rows } = await this.db.query<AudienceSums>(
      `SELECT creator_id::text AS creator_id,
              count(*) FILTER (WHERE kind = 'follow')::int AS followers,
              count(*) FILTER (WHERE kind = 'follow' AND since >= $1)::int AS new_followers,
              count(*) FILTER (WHERE kind = 'subscription' AND (until IS NULL OR until >= $2))::int AS subscribers,
              count(*) FILTER (WHERE kind = 'subscription' AND until >= $1 AND until < $2)::int AS churned
       FROM creator_audience_history WHERE since < $2
       GROUP BY creator_id`,
      [from, to],
    );
    return rows;
  }

  /** Creators' net share (credits less clawbacks; payouts are not earnings) from the ledger's earnings_lines. */
  async earnings(from: Date, to: Date, payoutKinds: readonly string[]): Promise<{ creator_id: string; earnings: number }[]> {
    const { rows } = await this.db.query<{ creator_id: string; earnings: number }>(
      `SELECT creator_id::text AS creator_id, sum(share)::bigint AS earnings
       FROM earnings_lines WHERE created_at >= $1 AND created_at < $2 AND spend_kind <> ALL($3::text[])
       GROUP BY creator_id`,
      [from, to, payoutKinds],
    );
    return rows.map((r) => ({ creator_id: r.creator_id, earnings: Number(r.earnings) }));
  }

  /** Replaces a day's rows in one transaction: a re-run leaves exactly what it computed. */
  async replaceDay(day: string, rows: DailyRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM analytics_daily WHERE day = $1`, [day]);
      if (rows.length === 0) return;
      await tx.query(
        `INSERT INTO analytics_daily (day, metric, dimension, value)
         SELECT $1::date, m, d, v FROM unnest($2::text[], $3::text[], $4::float8[]) AS r(m, d, v)`,
        [day, rows.map((r) => r.metric), rows.map((r) => r.dimension), rows.map((r) => r.value)],
      );
    });
  }

  /** A dimension's rows over inclusive days; from a read replica when there are some (the rows change once a day, by a job). */
  async series(dimension: string, from: string, to: string): Promise<{ day: string; metric: string; value: number }[]> {
    const { rows } = await this.db.reader().query<{ day: string; metric: string; value: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, metric, value
       FROM analytics_daily WHERE dimension = $1 AND day >= $2::date AND day <= $3::date`,
      [dimension, from, to],
    );
    return rows;
  }
}
