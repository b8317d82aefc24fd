import type { Queryable } from '../../db/database.js';

export class SafetyStore {
  constructor(private readonly db: Queryable) {}

  /** False when there is no such user to block. Blocking twice is one block. */
  async block(blockerId: string, blockedId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `WITH target AS (SELECT id FROM user_cards WHERE id = $2),
       ins AS (INSERT INTO blocks (blocker_id, blocked_id) SELECT $1, id FROM target ON CONFLICT DO NOTHING)
       SELECT 1 FROM target`,
      [blockerId, blockedId],
    );
    return rows.length > 0;
  }

  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    const res = await this.db.query(`DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING 1`, [blockerId, blockedId]);
    return res.rowCount > 0;
  }

  /** The same predicate other modules' queries call (server/sql/safety/blocked_either_way.sql). */
  async blockedEitherWay(a: string, b: string, q: Queryable = this.db): Promise<boolean> {
    const { rows } = await q.query<{ blocked: boolean }>(`SELECT blocked_either_way($1, $2) AS blocked`, [a, b]);
    return rows[0]!.blocked;
  }

  /** With each blocked user's display name (users' published user_cards), so a block list can say who it is. */
  async blockedBy(blockerId: string): Promise<{ blocked_id: string; display_name: string; created_at: Date }[]> {
    const { rows } = await this.db.query<{ blocked_id: string; display_name: string; created_at: Date }>(
      `SELECT b.blocked_id, u.display_name, b.created_at
       FROM blocks b JOIN user_cards u ON u.id = b.blocked_id
       WHERE b.blocker_id = $1 ORDER BY b.created_at DESC`,
      [blockerId],
    );
    return rows;
  }
}
