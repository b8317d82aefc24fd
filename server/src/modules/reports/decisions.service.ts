import type { Notify } from '../notifications/notifications.service.js';
import type { DecisionAction, DecisionBody, DecisionView, ReportSubject, SuspensionDetails } from '../../../../shared/reports.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { UserRow, UsersStore } from '../users/users.store.js';
import type { AppealTokens } from './appeal-tokens.js';
import type { DecisionRow, ReportsStore } from './reports.store.js';
import { standingOf, toAppealView, toDecisionView } from './reports.views.js';

/** Takes a reported subject down through its owning module, given the report's snapshot of it. */
export type Removal = (subjectId: string, content: Record<string, unknown>, ownerId: string) => Promise<void>;

/** What a ban does beyond the account: each idempotent, so a ban applied twice (or at once by two admins) does it once. */
export interface BanEffects {
  /** Pending payout requests cancelled (their credits back in earnings); new ones are refused while banned. */
  freezePayouts(userId: string, adminId: string | null): Promise<unknown>;
  /** Fans' active subscriptions to them stopped, the unused part of each period refunded. */
  refundSubscribers(creatorId: string): Promise<unknown>;
}

const APPEALABLE: DecisionAction[] = ['remove_content', 'warn', 'suspend', 'ban'];
/**
 * What still makes sense on an account its owner deleted: settling the reports (dismiss) and taking reported
 * content down (its messages stay in peers' conversations). A standing decision would bring a closed account
 * back as suspended, banned or active, and warn no one.
 */
const ON_DELETED: DecisionAction[] = ['dismiss', 'remove_content'];

/**
 * An admin's decisions on a reported user, and the one appeal each allows. A decision, the reports it
 * settles, the account's standing and its audit entry commit together; then the user's sessions end
 * (sockets closed on every node) for a suspension or ban, the user is told (before that, so their open page
 * knows why) and every settled report's reporter hears the outcome.
 */
export class DecisionsService {
  constructor(
    private readonly d: {
      db: Database;
      store: ReportsStore;
      users: Pick<UsersStore, 'findById' | 'setStanding' | 'liftEnded'>;
      auth: Pick<AuthService, 'revokeUserSessions'>;
      realtime: Realtime;
      audit: Pick<AuditService, 'recordIn'>;
      appealTokens: AppealTokens;
      removals: Partial<Record<ReportSubject, Removal>>;
      ban: BanEffects;
      /** The decision, kept in the user's notifications (and mailed in the digest) as well as pushed. */
      notify?: Notify;
    },
  ) {}

  async decide(adminId: string | null, userId: string, b: DecisionBody, ip: string | null): Promise<{ decision: DecisionView; settled: number }> {
    if (adminId === userId) throw new AppError('SELF_ACTION_REFUSED', 'you cannot decide on your own account');
    const target = await this.d.users.findById(userId);
    if (!target) throw new AppError('NOT_FOUND', 'no such user');
    if (target.status === 'deleted' && !ON_DELETED.includes(b.action)) {
      throw new AppError('ACCOUNT_DELETED', `its owner deleted this account: only ${ON_DELETED.join(' or ')} apply`, { details: { allowed: ON_DELETED } });
    }
    const until = this.untilOf(b);
    if (b.action === 'remove_content') await this.removeContent(userId, b.subject);
    const { decision, settled } = await this.d.db.transaction(async (tx) => {
      const decision = await this.d.store.insertDecision(tx, {
        userId,
        adminId,
        action: b.action,
        reason: b.reason,
        until,
        subject: b.subject?.kind ?? null,
        subjectId: b.subject?.id ?? null,
      });
      // A restore settles no report: it answers an earlier decision, not a complaint.
      const ids = b.action === 'restore' ? [] : b.reportIds;
      const settled = await this.d.store.settle(tx, userId, ids, decision.id, b.action === 'dismiss' ? 'dismissed' : 'actioned');
      await this.applyStanding(tx, decision);
      await this.d.audit.recordIn(tx, {
        key: `decision:${decision.id}`,
        actorId: adminId,
        action: 'admin.decision',
        ip,
        meta: { userId, decisionId: decision.id, action: b.action, reason: b.reason, until: until?.toISOString() ?? null, reports: settled.map((r) => r.id) },
      });
      return { decision, settled };
    });
    await this.tell(decision);
    for (const r of settled) this.d.realtime.toUser(r.reporter_id, 'report:decided', { reportId: Number(r.id), status: r.status, action: decision.action });
    if (decision.action === 'ban') await this.banEffects(userId, adminId);
    return { decision: toDecisionView(decision), settled: settled.length };
  }

  /** The decided user's one appeal of a decision (signed in, or with the appeal token of a refused login). */
  async appeal(userId: string, decisionId: number, body: string, ip: string | null): Promise<{ appeal: ReturnType<typeof toAppealView> }> {
    const appeal = await this.d.db.transaction(async (tx) => {
      const decision = await this.d.store.lockDecision(tx, decisionId);
      if (!decision || decision.user_id !== userId) throw new AppError('NOT_FOUND', 'no such decision on your account');
      if (!APPEALABLE.includes(decision.action)) throw new AppError('NOT_APPEALABLE', `a ${decision.action} decision cannot be appealed`);
      const row = await this.d.store.insertAppeal(tx, { decisionId, userId, body });
      if (!row) throw new AppError('ALREADY_APPEALED', 'this decision was appealed already: each decision can be appealed once');
      await this.d.audit.recordIn(tx, { key: `appeal:${decisionId}`, actorId: userId, action: 'reports.appealed', ip, meta: { userId, decisionId } });
      return row;
    });
    return { appeal: toAppealView(appeal) };
  }

  /** An admin upholds an appeal or reverses its decision; reversing a suspension or ban restores the account. */
  async reviewAppeal(adminId: string, decisionId: number, outcome: 'uphold' | 'reverse', ip: string | null): Promise<{ decision: DecisionView; restored: DecisionView | null }> {
    const { decision, restore } = await this.d.db.transaction(async (tx) => {
      const appeal = await this.d.store.lockAppeal(tx, decisionId);
      if (!appeal) throw new AppError('NOT_FOUND', 'no appeal of this decision');
      if (appeal.status !== 'open') throw new AppError('APPEAL_CLOSED', `this appeal was ${appeal.status} already`);
      const decision = (await this.d.store.lockDecision(tx, decisionId))!;
      if (decision.user_id === adminId) throw new AppError('SELF_ACTION_REFUSED', 'you cannot decide on your own appeal');
      await this.d.store.closeAppeal(tx, decisionId, outcome === 'uphold' ? 'upheld' : 'reversed', adminId);
      await this.d.audit.recordIn(tx, { key: `appeal_decided:${decisionId}`, actorId: adminId, action: 'admin.appeal_decided', ip, meta: { userId: decision.user_id, decisionId, outcome } });
      return { decision, restore: outcome === 'reverse' && (decision.action === 'suspend' || decision.action === 'ban') };
    });
    const restored = restore ? (await this.decide(adminId, decision.user_id, { action: 'restore', reason: `appeal of decision ${decisionId} upheld by an admin` }, ip)).decision : null;
    return { decision: toDecisionView(decision), restored };
  }

  /**
   * A suspended account's sign-in: refused with why, until when and an appeal token while it lasts; once its
   * end has passed the suspension is lifted here and the sign-in goes on (undefined).
   */
  async refusal(row: UserRow): Promise<AppError | undefined> {
    if (standingOf(row) === 'active') {
      await this.d.users.liftEnded(row.id);
      return undefined;
    }
    const latest = await this.d.store.latestSuspension(row.id);
    const details: SuspensionDetails = {
      decisionId: latest ? Number(latest.id) : null,
      reason: row.suspension_reason,
      until: row.suspended_until?.toISOString() ?? null,
      appealToken: this.d.appealTokens.issue(row.id),
    };
    const message = details.until ? `this account is suspended until ${details.until}` : 'this account is banned';
    return new AppError('ACCOUNT_SUSPENDED', message, { details: { ...details } });
  }

  private untilOf(b: DecisionBody): Date | null {
    if (b.action !== 'suspend') {
      if (b.until) throw new AppError('VALIDATION_FAILED', 'only a suspension has an end time');
      return null;
    }
    if (!b.until) throw new AppError('VALIDATION_FAILED', 'a suspension needs its end time (until)');
    const until = new Date(b.until);
    if (until.getTime() <= Date.now()) throw new AppError('VALIDATION_FAILED', 'a suspension must end in the future');
    return until;
  }

  private async removeContent(userId: string, subject: DecisionBody['subject']): Promise<void> {
    if (!subject) throw new AppError('VALIDATION_FAILED', 'name the reported subject to remove');
    const remove = this.d.removals[subject.kind];
    if (!remove) throw new AppError('VALIDATION_FAILED', `a ${subject.kind} has no content to remove: warn, suspend or ban instead`);
    const report = await this.d.store.reportOn(userId, subject.kind, subject.id);
    if (!report) throw new AppError('NOT_FOUND', `no report of this ${subject.kind} against this user`);
    await remove(subject.id, report.content as Record<string, unknown>, userId);
  }

  private async applyStanding(tx: Queryable, d: DecisionRow): Promise<void> {
    if (d.action === 'suspend' || d.action === 'ban') await this.d.users.setStanding(tx, d.user_id, { suspendedUntil: d.until, reason: d.reason });
    else if (d.action === 'restore') await this.d.users.setStanding(tx, d.user_id, 'active');
  }

  /** The user hears of it first; a suspension or ban then ends every session and socket, on every node. */
  private async tell(d: DecisionRow): Promise<void> {
    if (d.action === 'dismiss') return;
    const change = { decisionId: Number(d.id), action: d.action, reason: d.reason, until: d.until?.toISOString() ?? null };
    this.d.notify?.notifyLater(d.user_id, { kind: 'moderation', subject: `decision:${d.id}`, payload: { detail: `${d.action.replace('_', ' ')}: ${d.reason}`, link: '/reports' } });
    if (d.action !== 'suspend' && d.action !== 'ban') return this.d.realtime.toUser(d.user_id, 'account:standing', change);
    // Signed out next: the page can still send the one appeal with this. The close carries it too: a push
    // goes out through the adapter (a Redis round trip, even to this node), the close of this node's own
    // sockets does not, so the push alone could reach a socket already closed.
    const standing = { ...change, appealToken: this.d.appealTokens.issue(d.user_id) };
    this.d.realtime.toUser(d.user_id, 'account:standing', standing);
    await this.d.auth.revokeUserSessions(d.user_id, standing);
  }

  private async banEffects(userId: string, adminId: string | null): Promise<void> {
    await this.d.ban.freezePayouts(userId, adminId);
    await this.d.ban.refundSubscribers(userId);
  }
}
