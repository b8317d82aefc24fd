import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { QueueAppeal, QueueEntry, ReportBody, ReportSubject, ReportView, UserHistory } from '../../../../shared/reports.js';
import { AppError } from '../../errors.js';
import { rateLimited } from '../../ratelimit.js';
import type { Viewer } from '../media/media.views.js';
import type { UserRow, UsersStore } from '../users/users.store.js';
import type { ReportsStore } from './reports.store.js';
import { toAdminReportView, toAppealView, toDecisionView, toReportView, toUserHistory } from './reports.views.js';

/** What a report keeps of its subject, as the reporter can see it: who it is about and the content then. */
export type Snapshot = { reportedId: string; content: Record<string, unknown> };
/** Each subject's owning module takes the snapshot (and refuses what the reporter cannot see with NOT_FOUND). */
export type Snapshots = Record<ReportSubject, (reporter: Viewer, id: string) => Promise<Snapshot>>;

const QUEUE_USERS = 50;

/**
 * Reports of users, profiles, messages, posts and random sessions in one model and one admin queue. A report
 * keeps the content as the reporter saw it (its module's snapshot), so a later edit or delete hides nothing
 * from the moderators. One open report per reporter and subject; filing is rate-limited per reporter.
 */
export class ReportsService {
  constructor(
    private readonly d: {
      store: ReportsStore;
      users: Pick<UsersStore, 'findById'>;
      snapshots: Snapshots;
      /** Reports per reporter per hour (REPORTS_PER_HOUR). */
      limiter: RateLimiterAbstract;
    },
  ) {}

  async file(reporter: Viewer, b: ReportBody): Promise<{ report: ReportView; created: boolean }> {
    const reporterId = reporter.userId;
    await this.d.limiter.consume(reporterId).catch((err: unknown) => {
      throw rateLimited(err, 'you have sent many reports in a short time; try again later');
    });
    const snap = await this.d.snapshots[b.subject](reporter, b.id);
    if (snap.reportedId === reporterId) throw new AppError('VALIDATION_FAILED', 'you cannot report yourself');
    const row = await this.d.store.file({ reporterId, subject: b.subject, subjectId: b.id, reportedId: snap.reportedId, reason: b.reason, note: b.note ?? null, content: snap.content });
    return { report: toReportView(row), created: row.created };
  }

  async mine(reporterId: string, cursor: number | undefined, limit: number): Promise<{ reports: ReportView[]; nextCursor: number | null }> {
    const rows = await this.d.store.byReporter(reporterId, cursor ?? null, limit);
    return { reports: rows.map(toReportView), nextCursor: rows.length === limit ? Number(rows.at(-1)!.id) : null };
  }

  /** The admin queue: each reported user with their open reports and history, then the open appeals. */
  async queue(): Promise<{ entries: QueueEntry[]; appeals: QueueAppeal[] }> {
    const [userIds, appealRows] = await Promise.all([this.d.store.queueUsers(QUEUE_USERS), this.d.store.openAppeals(QUEUE_USERS)]);
    const everyone = [...new Set([...userIds, ...appealRows.map((a) => a.user_id)])];
    const [open, histories] = await Promise.all([this.d.store.openAgainst(userIds), this.histories(everyone)]);
    const entries = userIds.flatMap((id) => {
      const user = histories.get(id);
      return user ? [{ user, reports: open.filter((r) => r.reported_id === id).map(toAdminReportView) }] : [];
    });
    const appeals = appealRows.flatMap((a) => {
      const user = histories.get(a.user_id);
      const decision = user?.decisions.find((d) => d.id === Number(a.decision_id));
      return user && decision ? [{ appeal: toAppealView(a), decision, user }] : [];
    });
    return { entries, appeals };
  }

  /** Users' account age, standing, how often they were reported and every decision on them (with its appeal). */
  async histories(userIds: string[]): Promise<Map<string, UserHistory>> {
    const [users, counts, decisions] = await Promise.all([
      Promise.all(userIds.map((id) => this.d.users.findById(id))),
      this.d.store.countsAgainst(userIds),
      this.d.store.decisionsOf(userIds),
    ]);
    return new Map(
      users
        .filter((u): u is UserRow => u !== undefined)
        .map((u) => [u.id, toUserHistory(u, counts.get(u.id) ?? 0, decisions.filter((d) => d.user_id === u.id).map(toDecisionView))]),
    );
  }
}
