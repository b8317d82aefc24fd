import type { MediaKind, MediaState, ModerationState, RejectReason } from '../../../../shared/media.js';
import { parseInt8, type Queryable } from '../../db/database.js';

export interface StoredVariant {
  key: string;
  mime: string;
  width: number | null;
  height: number | null;
  bytes: number;
}

export interface MediaRow {
  id: string;
  owner_id: string;
  kind: MediaKind;
  state: MediaState;
  declared_mime: string;
  declared_bytes: number;
  filename: string | null;
  storage_prefix: string;
  multipart_upload_id: string | null;
  multipart_part_bytes: number | null;
  bytes: number | null;
  detected_mime: string | null;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
  variants: Record<string, StoredVariant>;
  reject_reason: RejectReason | null;
  moderation: ModerationState;
  moderation_reason: string | null;
  moderated_by: string | null;
  moderated_at: Date | null;
  created_at: Date;
  upload_expires_at: Date;
  confirmed_at: Date | null;
  ready_at: Date | null;
  deleted_at: Date | null;
  purged_at: Date | null;
}

type RawRow = Omit<MediaRow, 'declared_bytes' | 'bytes'> & { declared_bytes: string; bytes: string | null };

const toRow = (r: RawRow): MediaRow => ({ ...r, declared_bytes: parseInt8(r.declared_bytes), bytes: r.bytes === null ? null : parseInt8(r.bytes) });

export interface Processed {
  detectedMime: string;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  variants: Record<string, StoredVariant>;
  moderation: { state: 'approved' | 'pending' | 'rejected'; reason: string | null };
}

/** The media module's only SQL; each method one statement. */
export class MediaStore {
  constructor(private readonly db: Queryable) {}

  async insert(m: {
    id: string;
    ownerId: string;
    kind: MediaKind;
    declaredMime: string;
    declaredBytes: number;
    filename: string | null;
    storagePrefix: string;
    multipart: { uploadId: string; partBytes: number } | null;
    uploadExpiresAt: Date;
  }): Promise<MediaRow> {
    const { rows } = await this.db.query<RawRow>(
      `INSERT INTO media (id, owner_id, kind, declared_mime, declared_bytes, filename, storage_prefix, multipart_upload_id, multipart_part_bytes, upload_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       RETURNING *`,
      [m.id, m.ownerId, m.kind, m.declaredMime, m.declaredBytes, m.filename, m.storagePrefix, m.multipart?.uploadId ?? null, m.multipart?.partBytes ?? null, m.uploadExpiresAt],
    );
    return toRow(rows[0]!);
  }

  async get(id: string): Promise<MediaRow | undefined> {
    const { rows } = await this.db.query<RawRow>(`SELECT * FROM media WHERE id = $1`, [id]);
    return rows[0] && toRow(rows[0]);
  }

  /** Several items at once (profile photos of a page of users); missing ids are left out. */
  async getMany(ids: string[]): Promise<MediaRow[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<RawRow>(`SELECT * FROM media WHERE id = ANY($1::uuid[])`, [ids]);
    return rows.map(toRow);
  }

  /** The row whose storage holds this key (the embedded driver's upload route checks the upload is still open). */
  async byPrefix(prefix: string): Promise<MediaRow | undefined> {
    const { rows } = await this.db.query<RawRow>(`SELECT * FROM media WHERE storage_prefix = $1`, [prefix]);
    return rows[0] && toRow(rows[0]);
  }

  /** uploading → pending with the stored size; undefined when it was not uploading any more (a racing confirm). */
  async confirm(id: string, bytes: number): Promise<MediaRow | undefined> {
    const { rows } = await this.db.query<RawRow>(
      `UPDATE media SET state = 'pending', bytes = $2, confirmed_at = now(), multipart_upload_id = NULL
       WHERE id = $1 AND state = 'uploading'
       RETURNING *`,
      [id, bytes],
    );
    return rows[0] && toRow(rows[0]);
  }

  /** A multipart upload was joined into its object: its id is no longer one to abort. */
  async multipartDone(id: string): Promise<void> {
    await this.db.query(`UPDATE media SET multipart_upload_id = NULL WHERE id = $1 AND state = 'uploading'`, [id]);
  }

  /** pending → ready (quarantined: moderation still 'pending'), or → rejected for moderation (files kept for an admin's override); undefined unless pending. */
  async finishProcessing(id: string, p: Processed): Promise<MediaRow | undefined> {
    const approved = p.moderation.state !== 'rejected';
    const { rows } = await this.db.query<RawRow>(
      `UPDATE media SET state = $2, reject_reason = $3, detected_mime = $4, width = $5, height = $6, duration_ms = $7, variants = $8::jsonb,
         moderation = $9, moderation_reason = $10, moderated_at = now(), ready_at = CASE WHEN $2 = 'ready' THEN now() END
       WHERE id = $1 AND state = 'pending'
       RETURNING *`,
      [id, approved ? 'ready' : 'rejected', approved ? null : 'moderation', p.detectedMime, p.width, p.height, p.durationMs, JSON.stringify(p.variants), p.moderation.state, p.moderation.reason],
    );
    return rows[0] && toRow(rows[0]);
  }

  /** Refused by its checks (from uploading at confirm, or pending in processing); undefined when it was in neither state. */
  async reject(id: string, reason: RejectReason, from: 'uploading' | 'pending'): Promise<MediaRow | undefined> {
    const { rows } = await this.db.query<RawRow>(
      `UPDATE media SET state = 'rejected', reject_reason = $2, multipart_upload_id = NULL
       WHERE id = $1 AND state = $3
       RETURNING *`,
      [id, reason, from],
    );
    return rows[0] && toRow(rows[0]);
  }

  /** An admin's verdict on a processed item: ready ↔ rejected for moderation. Undefined when it is in neither of those. */
  async override(id: string, approve: boolean, reason: string | null, adminId: string): Promise<MediaRow | undefined> {
    const { rows } = await this.db.query<RawRow>(
      `UPDATE media SET state = CASE WHEN $2 THEN 'ready' ELSE 'rejected' END, reject_reason = CASE WHEN $2 THEN NULL ELSE 'moderation' END,
         moderation = CASE WHEN $2 THEN 'approved' ELSE 'rejected' END, moderation_reason = $3, moderated_by = $4, moderated_at = now(),
         ready_at = CASE WHEN $2 THEN coalesce(ready_at, now()) ELSE ready_at END
       WHERE id = $1 AND (state = 'ready' OR (state = 'rejected' AND reject_reason = 'moderation'))
       RETURNING *`,
      [id, approve, reason, adminId],
    );
    return rows[0] && toRow(rows[0]);
  }

  /** Any state but deleted → deleted; undefined when it already was (or is not this owner's). */
  async markDeleted(id: string, ownerId: string): Promise<MediaRow | undefined> {
    const { rows } = await this.db.query<RawRow>(
      `UPDATE media SET state = 'deleted', deleted_at = now(), reject_reason = NULL
       WHERE id = $1 AND owner_id = $2 AND state <> 'deleted'
       RETURNING *`,
      [id, ownerId],
    );
    return rows[0] && toRow(rows[0]);
  }

  /** Every item of an owner not deleted yet (an erased account's). */
  async liveIdsOf(ownerId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM media WHERE owner_id = $1 AND state <> 'deleted'`, [ownerId]);
    return rows.map((r) => r.id);
  }

  async markPurged(id: string): Promise<void> {
    await this.db.query(`UPDATE media SET purged_at = now(), multipart_upload_id = NULL WHERE id = $1 AND purged_at IS NULL`, [id]);
  }

  /** Uploads never confirmed within their time. */
  async expiredUploads(limit: number): Promise<MediaRow[]> {
    const { rows } = await this.db.query<RawRow>(
      `SELECT * FROM media WHERE state = 'uploading' AND upload_expires_at < now() ORDER BY upload_expires_at LIMIT $1`,
      [limit],
    );
    return rows.map(toRow);
  }

  /** Removes an expired upload's row, unless it was confirmed meanwhile. */
  async removeExpired(id: string): Promise<boolean> {
    const res = await this.db.query(`DELETE FROM media WHERE id = $1 AND state = 'uploading' AND upload_expires_at < now()`, [id]);
    return res.rowCount > 0;
  }

  /** Deleted or refused items whose objects are not all gone yet, older than a minute (their own removal may be under way). */
  async unpurged(limit: number): Promise<MediaRow[]> {
    const { rows } = await this.db.query<RawRow>(
      `SELECT * FROM media
       WHERE purged_at IS NULL AND (state = 'deleted' OR (state = 'rejected' AND reject_reason <> 'moderation'))
         AND created_at < now() - interval '1 minute'
       ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return rows.map(toRow);
  }

  /** Items pending longer than `olderThanSeconds` since their confirm: their processing job was lost. */
  async stalePending(olderThanSeconds: number, limit: number): Promise<MediaRow[]> {
    const { rows } = await this.db.query<RawRow>(
      `SELECT * FROM media WHERE state = 'pending' AND confirmed_at < now() - make_interval(secs => $1) ORDER BY confirmed_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows.map(toRow);
  }
}
