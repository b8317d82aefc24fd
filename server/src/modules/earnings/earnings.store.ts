import type { Queryable } from '../../db/database.js';

/** A group of one creator's transfers: a spend kind, credits or debits. */
export interface KindSums {
  spend_kind: string;
  credit: boolean;
  share: number;
  gross: number;
  fee: number;
  /** Of share, what was earned after `since` (the hold's start; earned_at in the view): only asked for by summary. */
  recent: number;
}

export interface LineRow {
  id: number;
  created_at: Date;
  kind: string;
  spend_kind: string;
  share: number;
  gross: number;
  fee: number;
  key: string;
}

/**
 * Reads of the ledger's published view `earnings_lines` (server/sql/ledger/earnings_lines.sql):
 * the earnings module owns no table; every figure is summed from ledger transfers.
 */
export class EarningsStore {
  constructor(private readonly db: Queryable) {}

  /** Lifetime sums by spend kind and direction, and what of them was earned after `since`. */
  async sums(creatorId: string, since: Date, q: Queryable = this.db): Promise<KindSums[]> {
    const { rows } = await q.query<KindSums>(
      `SELECT spend_kind, share > 0 AS credit, sum(share)::bigint AS share, sum(gross)::bigint AS gross, sum(fee)::bigint AS fee,
              coalesce(sum(share) FILTER (WHERE earned_at > $2), 0)::bigint AS recent
       FROM earnings_lines WHERE creator_id = $1
       GROUP BY spend_kind, share > 0`,
      [creatorId, since],
    );
    return rows;
  }

  /** Sums by spend kind and direction over [from, to). */
  async sumsBetween(creatorId: string, from: Date, to: Date): Promise<KindSums[]> {
    const { rows } = await this.db.query<KindSums>(
      `SELECT spend_kind, share > 0 AS credit, sum(share)::bigint AS share, sum(gross)::bigint AS gross, sum(fee)::bigint AS fee, 0::bigint AS recent
       FROM earnings_lines WHERE creator_id = $1 AND created_at >= $2 AND created_at < $3
       GROUP BY spend_kind, share > 0`,
      [creatorId, from, to],
    );
    return rows;
  }

  /** Net share by UTC day and spend kind over [from, to). */
  async daily(creatorId: string, from: Date, to: Date): Promise<{ day: string; spend_kind: string; share: number }[]> {
    const { rows } = await this.db.query<{ day: string; spend_kind: string; share: number }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, spend_kind, sum(share)::bigint AS share
       FROM earnings_lines WHERE creator_id = $1 AND created_at >= $2 AND created_at < $3
       GROUP BY 1, 2 ORDER BY 1`,
      [creatorId, from, to],
    );
    return rows;
  }

  /** Lines over [from, to), oldest first, after a transfer id (keyset). */
  async lines(creatorId: string, from: Date, to: Date, afterId: number, limit: number): Promise<LineRow[]> {
    const { rows } = await this.db.query<LineRow>(
      `SELECT id, created_at, kind, spend_kind, share, gross, fee, key
       FROM earnings_lines WHERE creator_id = $1 AND created_at >= $2 AND created_at < $3 AND id > $4
       ORDER BY id LIMIT $5`,
      [creatorId, from, to, afterId, limit],
    );
    return rows;
  }
}
