import { z } from 'zod';
import { ROLES } from './auth.js';
import { text } from './input.js';
import type { AdminTransferView } from './admin.js';
import type { WalletBalance } from './events.js';

/**
 * Reports to decisions (issue #18): what users report, the admin queue and its decisions, appeals, the
 * audit-log view and admin user management. The web app and the server share these shapes.
 */
export const REPORT_SUBJECTS = ['user', 'profile', 'message', 'post', 'match_session'] as const;
export type ReportSubject = (typeof REPORT_SUBJECTS)[number];

export const REPORT_REASONS = ['spam', 'harassment', 'hate', 'sexual_content', 'violence', 'scam', 'underage', 'impersonation', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export const DECISION_ACTIONS = ['dismiss', 'remove_content', 'warn', 'suspend', 'ban', 'restore'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

export const reportBody = z.strictObject({
  subject: z.enum(REPORT_SUBJECTS),
  id: z.uuid(),
  reason: z.enum(REPORT_REASONS),
  note: text().trim().min(1).max(1000).optional(),
});
export type ReportBody = z.output<typeof reportBody>;

/**
 * An admin's decision on a user. `reportIds` are the open reports it settles (all the user's open reports when
 * left out); `remove_content` names the reported subject to remove; `suspend` needs `until`, in the future.
 */
export const decisionBody = z.strictObject({
  action: z.enum(DECISION_ACTIONS),
  reason: text().trim().min(1).max(1000),
  until: z.iso.datetime().optional(),
  reportIds: z.array(z.number().int().positive()).max(200).optional(),
  subject: z.strictObject({ kind: z.enum(REPORT_SUBJECTS), id: z.uuid() }).optional(),
});
export type DecisionBody = z.output<typeof decisionBody>;

/** An appeal of one decision: by the signed-in user, or with the appeal token a suspended login answered with. */
export const appealBody = z.strictObject({
  decisionId: z.number().int().positive(),
  body: text().trim().min(1).max(2000),
  appealToken: text().max(2000).optional(),
});

export const appealDecisionBody = z.strictObject({ outcome: z.enum(['uphold', 'reverse']), note: text().trim().max(1000).optional() });

export const auditQuery = z.strictObject({
  actorId: z.uuid().optional(),
  targetId: z.uuid().optional(),
  action: text().trim().max(60).optional(),
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const userSearchQuery = z.strictObject({
  q: text().trim().max(254).default(''),
  cursor: text().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});

export const roleBody = z.strictObject({ role: z.enum(ROLES) });

export type ReportStatus = 'open' | 'actioned' | 'dismissed';

export interface ReportView {
  id: number;
  subject: ReportSubject;
  subjectId: string;
  reason: ReportReason;
  note: string | null;
  status: ReportStatus;
  createdAt: string;
  decidedAt: string | null;
}

/** An admin's view of a report: who filed it and the content as it was then. */
export interface AdminReportView extends ReportView {
  reporterId: string;
  reportedId: string;
  content: unknown;
}

export interface DecisionView {
  id: number;
  userId: string;
  adminId: string | null;
  action: DecisionAction;
  reason: string;
  until: string | null;
  subject: { kind: ReportSubject; id: string } | null;
  createdAt: string;
  appeal: AppealView | null;
}

export interface AppealView {
  decisionId: number;
  body: string;
  status: 'open' | 'upheld' | 'reversed';
  createdAt: string;
  decidedAt: string | null;
}

/** A reported user's standing at a glance, beside their reports in the queue. */
export interface UserHistory {
  userId: string;
  displayName: string;
  email: string;
  role: string;
  /** 'deleted': its owner closed the account (#18); no standing decision applies to it any more. */
  status: 'active' | 'suspended' | 'banned' | 'deleted';
  suspendedUntil: string | null;
  /** When its owner closed it; null unless status is 'deleted'. */
  deletedAt: string | null;
  createdAt: string;
  reportsAgainst: number;
  decisions: DecisionView[];
}

/** One queue entry: a user with their open reports (grouped per subject by the page) and their history. */
export interface QueueEntry {
  user: UserHistory;
  reports: AdminReportView[];
}

/** An open appeal in the queue, with the decision it contests. */
export interface QueueAppeal {
  appeal: AppealView;
  decision: DecisionView;
  user: UserHistory;
}

export interface AuditEntryView {
  id: number;
  actorId: string | null;
  action: string;
  targetId: string | null;
  ip: string | null;
  meta: Record<string, unknown>;
  createdAt: string;
}

/** Pushed to a reporter when an admin decided on their report. */
export interface ReportOutcome {
  reportId: number;
  status: ReportStatus;
  action: DecisionAction;
}

/** Pushed to a user an admin warned, suspended, banned or restored (a suspension's push comes before the disconnect). */
export interface StandingChange {
  decisionId: number;
  action: DecisionAction;
  reason: string;
  until: string | null;
  /** Suspend and ban: the token to appeal with once signed out (POST /api/appeals/with-token). */
  appealToken?: string;
}

/** details of ACCOUNT_SUSPENDED: why, until when (null: banned), and a token to appeal with without signing in. */
export interface SuspensionDetails {
  decisionId: number | null;
  reason: string | null;
  until: string | null;
  appealToken: string;
}

/** GET /api/admin/users/:id: what an admin sees of one user. */
export interface AdminUserDetail {
  user: UserHistory;
  sessions: { id: string; createdAt: string; lastUsedAt: string; userAgent: string | null }[];
  wallet: WalletBalance & { flagged: string | null };
  transfers: AdminTransferView[];
  reportsAgainst: ReportView[];
  reportsBy: ReportView[];
}
