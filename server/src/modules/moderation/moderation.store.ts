import type { Place, SubjectKind, Verdict, VerdictReason } from '../../../../shared/moderation.js';
import type { Queryable } from '../../db/database.js';

export interface VerdictRow {
  id: string;
  subject_kind: SubjectKind;
  subject_id: string;
  user_id: string;
  user_name: string | null;
  place: Place;
  verdict: Verdict;
  scores: Record<string, number>;
  reasons: VerdictReason[];
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision: 'allow' | 'remove' | null;
}

export interface NewVerdict {
  subjectKind: SubjectKind;
  subjectId: string;
  userId: string;
  place: Place;
  verdict: Verdict;
  scores: Record<string, number>;
  reasons: VerdictReason[];
}

/** The moderation module's only SQL; each method one statement. */
export class ModerationStore {
  constructor(private readonly db: Queryable) {}

  /** The verdict's id; a second verdict for the same subject and place (a retry) keeps the first. */
  async insert(v: NewVerdict): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO moderation_verdicts (subject_kind, subject_id, user_id, place, verdict, scores, reasons)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::text[])
       ON CONFLICT (subject_kind, subject_id, place) DO UPDATE SET subject_id = EXCLUDED.subject_id
       RETURNING id`,
      [v.subjectKind, v.subjectId, v.userId, v.place, v.verdict, JSON.stringify(v.scores), v.reasons],
    );
    return rows[0]!.id;
  }

  /** Quarantined and undecided, oldest first, with the user's name from users' published user_cards. */
  async queue(limit: number): Promise<VerdictRow[]> {
    const { rows } = await this.db.query<VerdictRow>(
      `SELECT v.*, u.display_name AS user_name
       FROM moderation_verdicts v LEFT JOIN user_cards u ON u.id = v.user_id
       WHERE v.verdict = 'quarantine' AND v.decided_at IS NULL
       ORDER BY v.created_at LIMIT $1`,
      [limit],
    );
    return rows;
  }

  async get(id: string): Promise<VerdictRow | undefined> {
    const { rows } = await this.db.query<VerdictRow>(
      `SELECT v.*, u.display_name AS user_name FROM moderation_verdicts v LEFT JOIN user_cards u ON u.id = v.user_id WHERE v.id = $1`,
      [id],
    );
    return rows[0];
  }

  /** Settles a quarantined verdict once; undefined when it is not quarantined or was decided already. */
  async decide(id: string, decision: 'allow' | 'remove', adminId: string, q: Queryable = this.db): Promise<VerdictRow | undefined> {
    const { rows } = await q.query<VerdictRow>(
      `UPDATE moderation_verdicts SET decision = $2, decided_by = $3, decided_at = now()
       WHERE id = $1 AND verdict = 'quarantine' AND decided_at IS NULL
       RETURNING *, NULL::text AS user_name`,
      [id, decision, adminId],
    );
    return rows[0];
  }

  /**
   * Closes the subject's undecided quarantines because its owner deleted it: decision 'remove' with no admin
   * (decided_by NULL), so the queue drops it and an admin's late decision is MODERATION_ALREADY_DECIDED.
   */
  async closeGone(kind: SubjectKind, subjectId: string): Promise<number> {
    const res = await this.db.query(
      `UPDATE moderation_verdicts SET decision = 'remove', decided_by = NULL, decided_at = now()
       WHERE subject_kind = $1 AND subject_id = $2 AND verdict = 'quarantine' AND decided_at IS NULL`,
      [kind, subjectId],
    );
    return res.rowCount;
  }

  /** A subject's verdicts, newest first (tests and reports read the evidence). */
  async ofSubject(kind: SubjectKind, subjectId: string): Promise<VerdictRow[]> {
    const { rows } = await this.db.query<VerdictRow>(
      `SELECT *, NULL::text AS user_name FROM moderation_verdicts WHERE subject_kind = $1 AND subject_id = $2 ORDER BY created_at DESC`,
      [kind, subjectId],
    );
    return rows;
  }
}
