import { z } from 'zod';
import type { MediaView } from '../../../../shared/media.js';
import {
  ageOn,
  VERIFICATION_MIN_AGE,
  type AdminVerificationView,
  type SubmitVerificationBody,
  type VerificationQueuePage,
  type VerificationState,
  type VerificationStatus,
  type VerificationView,
} from '../../../../shared/verification.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MediaService } from '../media/media.service.js';
import type { Viewer } from '../media/media.views.js';
import type { UsersStore } from '../users/users.store.js';
import { isActiveTaken, type VerificationRow, type VerificationStore } from './verification.store.js';

const toView = (r: VerificationRow): VerificationView => ({
  id: r.id,
  status: r.status,
  legalName: r.legal_name,
  dateOfBirth: r.date_of_birth,
  country: r.country,
  documentMediaId: r.document_media_id,
  selfieMediaId: r.selfie_media_id,
  reason: r.reason,
  submittedAt: r.submitted_at.toISOString(),
  reviewedAt: r.reviewed_at?.toISOString() ?? null,
});

const cursorKey = z.tuple([z.iso.datetime().refine((v) => !v.startsWith('0000')), z.uuid()]);
const encodeCursor = (r: VerificationRow) => Buffer.from(JSON.stringify([r.submitted_key, r.id])).toString('base64url');
function decodeCursor(cursor: string): [string, string] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('VALIDATION_FAILED', 'not a cursor of this list');
  }
  const parsed = cursorKey.safeParse(value);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'not a cursor of this list');
  return parsed.data;
}

/**
 * Creator verification: the creator submits, an admin decides, and every decision is audited in the
 * transaction that makes it (recordIn), so none exists without its entry. The documents are media of kind
 * verification_document, which only their owner and admins may read (MediaService.access).
 *
 * The date of birth that counts is the document's: it must show VERIFICATION_MIN_AGE on the day of the
 * submission. The account's birthdate (given at signup, unchecked) is not required to agree, because people
 * mistype it and the document is the proof; a difference is stored and shown to the reviewer, who decides.
 *
 *   submit ──► pending ──approve──► approved (verified; payouts, paid content)
 *                      └─reject───► rejected (reason shown) ──submit again──► pending
 */
export class VerificationService {
  constructor(
    private readonly d: {
      db: Database;
      store: VerificationStore;
      media: Pick<MediaService, 'requireOwned' | 'get'>;
      users: Pick<UsersStore, 'findById'>;
      audit: Pick<AuditService, 'recordIn'>;
      realtime: Realtime;
      paidContentRequiresVerification: boolean;
    },
  ) {}

  /** The published check: an admin approved this user's verification. */
  isVerified(userId: string): Promise<boolean> {
    return this.d.store.isVerified(userId);
  }

  /**
   * The hook the modules that sell (creators' tiers, posts, chat's attachments, users' prices) call before a
   * creator sets a price above 0: VERIFICATION_REQUIRED while CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION is
   * on and the creator is not verified; nothing when it is off.
   */
  async requirePaidContentAllowed(userId: string): Promise<void> {
    if (!this.d.paidContentRequiresVerification) return;
    if (!(await this.isVerified(userId))) {
      throw new AppError('VERIFICATION_REQUIRED', 'verify your identity and age before selling paid content (GET /api/verification)');
    }
  }

  async state(userId: string): Promise<VerificationState> {
    const latest = await this.d.store.latest(userId);
    // Verified means an approved row; the latest one is it whenever there is one (no submission after approval).
    return { verified: latest?.status === 'approved', submission: latest ? toView(latest) : null };
  }

  /** Submits (or, with the same id again, answers the stored submission). Creators only. */
  async submit(viewer: Viewer, b: SubmitVerificationBody, ip: string | null): Promise<{ verification: VerificationState; replayed: boolean }> {
    if (viewer.role !== 'creator') throw new AppError('FORBIDDEN', 'only creators are verified');
    const existing = await this.d.store.get(b.id);
    if (existing) return this.replay(viewer, existing);
    if (ageOn(b.dateOfBirth) < VERIFICATION_MIN_AGE) {
      throw new AppError('AGE_RESTRICTED', `creators must be ${VERIFICATION_MIN_AGE} or older on the day they submit`);
    }
    try {
      await this.refuseActive(viewer.userId);
    } catch (err) {
      // The active one may be this very request's twin, committed since the look-up above: answer it.
      const twin = await this.d.store.get(b.id);
      if (twin) return this.replay(viewer, twin);
      throw err;
    }
    await this.d.media.requireOwned(viewer.userId, b.documentMediaId, ['verification_document']);
    await this.d.media.requireOwned(viewer.userId, b.selfieMediaId, ['verification_document']);
    const me = await this.d.users.findById(viewer.userId);
    if (!me) throw new AppError('NOT_FOUND', 'user not found');
    let inserted: boolean;
    try {
      inserted = await this.d.db.transaction(async (tx) => {
        const fresh = await this.d.store.insert(tx, { ...b, creatorId: viewer.userId, birthdateMatches: me.birthdate === b.dateOfBirth });
        if (fresh) {
          await this.d.audit.recordIn(tx, {
            key: `verification_submitted:${b.id}`,
            actorId: viewer.userId,
            action: 'verification.submitted',
            ip,
            meta: { verificationId: b.id, documentMediaId: b.documentMediaId, selfieMediaId: b.selfieMediaId, birthdateMatches: me.birthdate === b.dateOfBirth },
          });
        }
        return fresh;
      });
    } catch (err) {
      if (isActiveTaken(err)) {
        // A twin of this very request (same id) committed first: answer it; else another submission became active (two tabs).
        const twin = await this.d.store.get(b.id);
        if (twin) return this.replay(viewer, twin);
        await this.refuseActive(viewer.userId);
      }
      throw err;
    }
    if (!inserted) return this.replay(viewer, (await this.d.store.get(b.id))!);
    const verification = await this.state(viewer.userId);
    this.d.realtime.toUser(viewer.userId, 'verification:updated', { verification });
    return { verification, replayed: false };
  }

  private async replay(viewer: Viewer, row: VerificationRow): Promise<{ verification: VerificationState; replayed: true }> {
    if (row.creator_id !== viewer.userId) throw new AppError('IDEMPOTENCY_CONFLICT', 'this submission id is taken: choose a new one');
    return { verification: await this.state(viewer.userId), replayed: true };
  }

  private async refuseActive(userId: string): Promise<void> {
    const latest = await this.d.store.latest(userId);
    if (latest?.status === 'approved') throw new AppError('ALREADY_VERIFIED', 'you are verified already');
    if (latest?.status === 'pending') throw new AppError('VERIFICATION_PENDING', 'your verification is waiting for review');
  }

  /** Admin: a page of one status's queue, oldest first, each with signed URLs to its two photos. */
  async queue(admin: Viewer, q: { status: VerificationStatus; limit: number; cursor?: string }): Promise<VerificationQueuePage> {
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    const rows = await this.d.store.queue(q.status, q.limit + 1, after);
    const page = rows.slice(0, q.limit);
    const verifications = await Promise.all(page.map((r) => this.adminView(admin, r)));
    return { verifications, nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!) : null };
  }

  async approve(admin: Viewer, id: string, ip: string | null): Promise<AdminVerificationView> {
    return this.decide(admin, id, 'approved', null, ip);
  }

  async reject(admin: Viewer, id: string, reason: string, ip: string | null): Promise<AdminVerificationView> {
    return this.decide(admin, id, 'rejected', reason, ip);
  }

  /**
   * The decision and its audit entry in one transaction, under the row's lock: two admins deciding at once
   * get one decision. The same decision again answers the row as it is (a double click); the other decision
   * on a decided row is VERIFICATION_DECIDED.
   */
  private async decide(admin: Viewer, id: string, status: 'approved' | 'rejected', reason: string | null, ip: string | null): Promise<AdminVerificationView> {
    const { row, changed } = await this.d.db.transaction(async (tx) => {
      const current = await this.d.store.lock(tx, id);
      if (!current) throw new AppError('NOT_FOUND', 'no such verification');
      if (current.status === status) return { row: current, changed: false };
      if (current.status !== 'pending') throw new AppError('VERIFICATION_DECIDED', `this verification was ${current.status} already`, { details: { status: current.status } });
      const decided = await this.d.store.decide(tx, id, { status, reason, by: admin.userId });
      await this.d.audit.recordIn(tx, {
        key: `verification_${status}:${id}`,
        actorId: admin.userId,
        action: status === 'approved' ? 'admin.verification_approved' : 'admin.verification_rejected',
        ip,
        meta: { verificationId: id, creatorId: current.creator_id, reason },
      });
      return { row: decided, changed: true };
    });
    if (changed) this.d.realtime.toUser(row.creator_id, 'verification:updated', { verification: await this.state(row.creator_id) });
    return this.adminView(admin, row);
  }

  private async adminView(admin: Viewer, r: VerificationRow): Promise<AdminVerificationView> {
    const [user, document, selfie] = await Promise.all([
      this.d.users.findById(r.creator_id),
      this.photo(admin, r.document_media_id),
      this.photo(admin, r.selfie_media_id),
    ]);
    return {
      ...toView(r),
      creator: { id: r.creator_id, displayName: user?.display_name ?? '', email: user?.email ?? '', birthdate: user?.birthdate ?? '' },
      birthdateMatches: r.birthdate_matches,
      reviewedBy: r.reviewed_by,
      document,
      selfie,
    };
  }

  /** A photo's admin view; null once its owner deleted it (or this deployment stores no media). */
  private async photo(admin: Viewer, id: string): Promise<MediaView | null> {
    try {
      return await this.d.media.get(admin, id);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'NOT_FOUND' || err.code === 'MEDIA_UNAVAILABLE')) return null;
      throw err;
    }
  }
}
