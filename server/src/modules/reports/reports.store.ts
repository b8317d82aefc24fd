import type { DecisionAction, ReportReason, ReportStatus, ReportSubject } from '../../../../shared/reports.js';
import type { Queryable } from '../../db/database.js';

export interface ReportRow {
  id: number;
  reporter_id: string;
  subject: ReportSubject;
  subject_id: string;
  reported_id: string;
  reason: ReportReason;
  note: string | null;
  content: unknown;
  status: ReportStatus;
  decision_id: number | null;
  created_at: Date;
  decided_at: Date | null;
}

export interface DecisionRow {
  id: number;
  user_id: string;
  admin_id: string | null;
  action: DecisionAction;
  reason: string;
  until: Date | null;
  subject: ReportSubject | null;
  subject_id: string | null;
  created_at: Date;
}

export interface AppealRow {
  decision_id: number;
  user_id: string;
  body: string;
  status: 'open' | 'upheld' | 'reversed';
  decided_by: string | null;
  created_at: Date;
  decided_at: Date | null;
}

/** reports, moderation_decisions and decision_appeals: the reports module's tables. */
export class ReportsStore {
  constructor(private readonly db: Queryable) {}

  /** A new open report, or the reporter's open one on the same subject (created false): one open report each. */
  async file(r: { reporterId: string; subject: ReportSubject; subjectId: string; reportedId: string; reason: ReportReason; note: string | null; content: unknown }): Promise<ReportRow & { created: boolean }> {
    const { rows } = await this.db.query<ReportRow & { created: boolean }>(
      `WITH ins AS (
         INSERT INTO reports (reporter_id, subject, subject_id, reported_id, reason, note, content)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
         ON CONFLICT (reporter_id, subject, subject_id) WHERE status = 'open' DO NOTHING RETURNING *
       )
       SELECT *, true AS created FROM ins
       UNION ALL
       SELECT *, false FROM reports WHERE reporter_id = $1 AND subject = $2 AND subject_id = $3 AND status = 'open' AND NOT EXISTS (SELECT 1 FROM ins)`,
      [r.reporterId, r.subject, r.subjectId, r.reportedId, r.reason, r.note, JSON.stringify(r.content)],
    );
    return rows[0]!;
  }

  async byReporter(reporterId: string, beforeId: number | null, limit: number): Promise<ReportRow[]> {
    const { rows } = await this.db.query<ReportRow>(
      `SELECT * FROM reports WHERE reporter_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [reporterId, beforeId, limit],
    );
    return rows;
  }

  async against(userId: string, limit: number): Promise<ReportRow[]> {
    const { rows } = await this.db.query<ReportRow>(`SELECT * FROM reports WHERE reported_id = $1 ORDER BY id DESC LIMIT $2`, [userId, limit]);
    return rows;
  }

  /** The users with open reports, the longest-waiting first; a page of them, by their oldest open report's time. */
  async queueUsers(limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ reported_id: string }>(
      `SELECT reported_id FROM reports WHERE status = 'open' GROUP BY reported_id ORDER BY min(created_at), reported_id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.reported_id);
  }

  async openAgainst(userIds: string[]): Promise<ReportRow[]> {
    const { rows } = await this.db.query<ReportRow>(
      `SELECT * FROM reports WHERE reported_id = ANY($1::uuid[]) AND status = 'open' ORDER BY subject, subject_id, id`,
      [userIds],
    );
    return rows;
  }

  async countsAgainst(userIds: string[]): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ reported_id: string; n: number }>(
      `SELECT reported_id, count(*)::int AS n FROM reports WHERE reported_id = ANY($1::uuid[]) GROUP BY reported_id`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.reported_id, r.n]));
  }

  async insertDecision(q: Queryable, d: { userId: string; adminId: string | null; action: DecisionAction; reason: string; until: Date | null; subject: ReportSubject | null; subjectId: string | null }): Promise<DecisionRow> {
    const { rows } = await q.query<DecisionRow>(
      `INSERT INTO moderation_decisions (user_id, admin_id, action, reason, until, subject, subject_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [d.userId, d.adminId, d.action, d.reason, d.until, d.subject, d.subjectId],
    );
    return rows[0]!;
  }

  /**
   * Settles open reports against the user with a decision: the ids given (those still open and against this
   * user), or all of them. Returns the settled rows, for telling their reporters.
   */
  async settle(q: Queryable, userId: string, ids: number[] | undefined, decisionId: number, status: 'actioned' | 'dismissed'): Promise<ReportRow[]> {
    const { rows } = await q.query<ReportRow>(
      `UPDATE reports SET status = $4, decision_id = $3, decided_at = now()
       WHERE reported_id = $1 AND status = 'open' AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))
       RETURNING *`,
      [userId, ids ?? null, decisionId, status],
    );
    return rows;
  }

  async decisionsOf(userIds: string[]): Promise<(DecisionRow & { appeal: AppealRow | null })[]> {
    const { rows } = await this.db.query<DecisionRow & { appeal: AppealRow | null }>(
      `SELECT d.*, to_jsonb(a) AS appeal FROM moderation_decisions d LEFT JOIN decision_appeals a ON a.decision_id = d.id
       WHERE d.user_id = ANY($1::uuid[]) ORDER BY d.id DESC`,
      [userIds],
    );
    return rows;
  }

  /** The user's latest suspension or ban still standing (what a refused login names). */
  async latestSuspension(userId: string): Promise<DecisionRow | undefined> {
    const { rows } = await this.db.query<DecisionRow>(
      `SELECT * FROM moderation_decisions WHERE user_id = $1 AND action IN ('suspend', 'ban') ORDER BY id DESC LIMIT 1`,
      [userId],
    );
    return rows[0];
  }

  async lockDecision(q: Queryable, id: number): Promise<DecisionRow | undefined> {
    const { rows } = await q.query<DecisionRow>(`SELECT * FROM moderation_decisions WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  /** The appeal, unless the decision had one already (undefined: appeal once). */
  async insertAppeal(q: Queryable, a: { decisionId: number; userId: string; body: string }): Promise<AppealRow | undefined> {
    const { rows } = await q.query<AppealRow>(
      `INSERT INTO decision_appeals (decision_id, user_id, body) VALUES ($1, $2, $3) ON CONFLICT (decision_id) DO NOTHING RETURNING *`,
      [a.decisionId, a.userId, a.body],
    );
    return rows[0];
  }

  async lockAppeal(q: Queryable, decisionId: number): Promise<AppealRow | undefined> {
    const { rows } = await q.query<AppealRow>(`SELECT * FROM decision_appeals WHERE decision_id = $1 FOR UPDATE`, [decisionId]);
    return rows[0];
  }

  async closeAppeal(q: Queryable, decisionId: number, status: 'upheld' | 'reversed', adminId: string): Promise<AppealRow> {
    const { rows } = await q.query<AppealRow>(
      `UPDATE decision_appeals SET status = $2, decided_by = $3, decided_at = now() WHERE decision_id = $1 RETURNING *`,
      [decisionId, status, adminId],
    );
    return rows[0]!;
  }

  async openAppeals(limit: number): Promise<AppealRow[]> {
    const { rows } = await this.db.query<AppealRow>(`SELECT * FROM decision_appeals WHERE status = 'open' ORDER BY created_at LIMIT $1`, [limit]);
    return rows;
  }

  /** A report of this subject against this user (its snapshot says where the content is), if there is one. */
  async reportOn(userId: string, subject: ReportSubject, subjectId: string): Promise<ReportRow | undefined> {
    const { rows } = await this.db.query<ReportRow>(
      `SELECT * FROM reports WHERE reported_id = $1 AND subject = $2 AND subject_id = $3 ORDER BY id LIMIT 1`,
      [userId, subject, subjectId],
    );
    return rows[0];
  }
}
