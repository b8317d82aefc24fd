import { pgError, type Queryable } from '../../db/database.js';
import type { VerificationStatus } from '../../../../shared/verification.js';

export interface VerificationRow {
  id: string;
  creator_id: string;
  legal_name: string;
  date_of_birth: string;
  country: string;
  document_media_id: string;
  selfie_media_id: string;
  birthdate_matches: boolean;
  status: VerificationStatus;
  reason: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  submitted_at: Date;
  /** submitted_at to the microsecond (a Date keeps milliseconds): the queue's cursor. */
  submitted_key: string;
}

const COLUMNS = `id, creator_id, legal_name, to_char(date_of_birth, 'YYYY-MM-DD') AS date_of_birth, country, document_media_id, selfie_media_id,
  birthdate_matches, status, reason, reviewed_by, reviewed_at, submitted_at,
  to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS submitted_key`;

/** True for the unique-violation of "one active (pending or approved) submission per creator". */
export function isActiveTaken(err: unknown): boolean {
  const e = pgError(err);
  return e?.code === '23505' && e.constraint === 'creator_verifications_active';
}

export class VerificationStore {
  constructor(private readonly db: Queryable) {}

  async get(id: string, q: Queryable = this.db): Promise<VerificationRow | undefined> {
    const { rows } = await q.query<VerificationRow>(`SELECT ${COLUMNS} FROM creator_verifications WHERE id = $1`, [id]);
    return rows[0];
  }

  /** The row, locked for a decision. */
  async lock(q: Queryable, id: string): Promise<VerificationRow | undefined> {
    const { rows } = await q.query<VerificationRow>(`SELECT ${COLUMNS} FROM creator_verifications WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  /** The creator's most recent submission. */
  async latest(creatorId: string, q: Queryable = this.db): Promise<VerificationRow | undefined> {
    const { rows } = await q.query<VerificationRow>(
      `SELECT ${COLUMNS} FROM creator_verifications WHERE creator_id = $1 ORDER BY submitted_at DESC, id DESC LIMIT 1`,
      [creatorId],
    );
    return rows[0];
  }

  async isVerified(creatorId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM creator_verifications WHERE creator_id = $1 AND status = 'approved') AS ok`,
      [creatorId],
    );
    return rows[0]!.ok;
  }

  /** Inserts a pending submission; false when its id exists already (a retry). Throws isActiveTaken when one is active. */
  async insert(
    q: Queryable,
    s: { id: string; creatorId: string; legalName: string; dateOfBirth: string; country: string; documentMediaId: string; selfieMediaId: string; birthdateMatches: boolean },
  ): Promise<boolean> {
    const res = await q.query(
      `INSERT INTO creator_verifications (id, creator_id, legal_name, date_of_birth, country, document_media_id, selfie_media_id, birthdate_matches)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO NOTHING`,
      [s.id, s.creatorId, s.legalName, s.dateOfBirth, s.country, s.documentMediaId, s.selfieMediaId, s.birthdateMatches],
    );
    return res.rowCount > 0;
  }

  /** The decision on a pending submission (the caller holds its lock). */
  async decide(q: Queryable, id: string, d: { status: 'approved' | 'rejected'; reason: string | null; by: string }): Promise<VerificationRow> {
    const { rows } = await q.query<VerificationRow>(
      `UPDATE creator_verifications SET status = $2, reason = $3, reviewed_by = $4, reviewed_at = now()
       WHERE id = $1 AND status = 'pending' RETURNING ${COLUMNS}`,
      [id, d.status, d.reason, d.by],
    );
    return rows[0]!;
  }

  /** One page of a status's queue, oldest first, after the (submitted_at, id) key of the previous page's last row. */
  async queue(status: VerificationStatus, limit: number, after: [string, string] | null): Promise<VerificationRow[]> {
    const { rows } = await this.db.query<VerificationRow>(
      `SELECT ${COLUMNS} FROM creator_verifications
       WHERE status = $1 AND ($3::timestamptz IS NULL OR (submitted_at, id) > ($3::timestamptz, $4::uuid))
       ORDER BY submitted_at, id LIMIT $2`,
      [status, limit, after?.[0] ?? null, after?.[1] ?? null],
    );
    return rows;
  }
}
