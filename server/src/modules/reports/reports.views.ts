import type { AdminReportView, AppealView, DecisionView, ReportView, UserHistory } from '../../../../shared/reports.js';
import type { UserRow } from '../users/users.store.js';
import type { AppealRow, DecisionRow, ReportRow } from './reports.store.js';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function toReportView(r: ReportRow): ReportView {
  return { id: Number(r.id), subject: r.subject, subjectId: r.subject_id, reason: r.reason, note: r.note, status: r.status, createdAt: r.created_at.toISOString(), decidedAt: iso(r.decided_at) };
}

export function toAdminReportView(r: ReportRow): AdminReportView {
  return { ...toReportView(r), reporterId: r.reporter_id, reportedId: r.reported_id, content: r.content };
}

/** An appeal as to_jsonb gives it (timestamps as text) or as a row. */
export function toAppealView(a: AppealRow): AppealView {
  return { decisionId: Number(a.decision_id), body: a.body, status: a.status, createdAt: iso(a.created_at)!, decidedAt: iso(a.decided_at) };
}

export function toDecisionView(d: DecisionRow & { appeal?: AppealRow | null }): DecisionView {
  return {
    id: Number(d.id),
    userId: d.user_id,
    adminId: d.admin_id,
    action: d.action,
    reason: d.reason,
    until: iso(d.until),
    subject: d.subject && d.subject_id ? { kind: d.subject, id: d.subject_id } : null,
    createdAt: d.created_at.toISOString(),
    appeal: d.appeal ? toAppealView(d.appeal) : null,
  };
}

/** Suspended with no end is a ban; a suspension whose end has passed counts as over even before login lifts it. */
export function standingOf(u: Pick<UserRow, 'status' | 'suspended_until'>, now = new Date()): UserHistory['status'] {
  if (u.status === 'deleted') return 'deleted';
  if (u.status !== 'suspended') return 'active';
  if (u.suspended_until === null) return 'banned';
  return u.suspended_until > now ? 'suspended' : 'active';
}

export function toUserHistory(u: UserRow, reportsAgainst: number, decisions: DecisionView[]): UserHistory {
  const status = standingOf(u);
  return {
    userId: u.id,
    displayName: u.display_name,
    email: u.email,
    role: u.role,
    status,
    suspendedUntil: status === 'suspended' ? iso(u.suspended_until) : null,
    deletedAt: status === 'deleted' ? iso(u.deleted_at) : null,
    createdAt: u.created_at.toISOString(),
    reportsAgainst,
    decisions,
  };
}
