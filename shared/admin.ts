import { z } from 'zod';
import { email, password } from './auth.js';
import { text } from './input.js';
import type { PaymentView, ProviderName } from './payments.js';

/** Events of the admin-only `/admin` namespace. */
export const adminEventSchemas = {
  'admin:online': z.strictObject({ q: text().trim().max(100).default(''), limit: z.number().int().min(1).max(200).default(50) }),
} as const;

export interface AdminEventResults {
  'admin:online': { users: { id: string; displayName: string; role: string; status: string }[] };
}

/** Pushed to admin sockets at most once a second. */
export interface AdminSnapshot {
  at: string;
  node: string;
  onlineUsers: number;
  socketsPerNode: Record<string, number>;
  messagesPerSecond: number;
  /** Users waiting in the random-match queue, per mode. */
  matchQueue: Record<string, number>;
  /** Calls not ended, cluster-wide: in progress, ringing or connecting, and in progress per Janus instance. */
  activeCalls: CallCounts;
}

export interface CallCounts {
  active: number;
  ringing: number;
  perSfuInstance: Record<string, number>;
}

/** Making (or promoting) an admin: the CLI's input, and the body of the embedded server's control call. */
export const adminCreateBody = z.strictObject({
  email,
  password,
  displayName: z.string().trim().min(1).max(50).default('Admin'),
});
export type AdminCreateBody = z.infer<typeof adminCreateBody>;

/*
 * What the admin REST routes answer (server/src/modules/admin/admin.routes.ts,
 * dead-letters.routes.ts): the JSON the web app's admin pages read. The
 * server's producers are typed with these, so the two cannot drift.
 */

/** GET /api/admin/ledger/verify: every hash-chain link and balance re-checked. */
export interface LedgerVerifyReport {
  ok: boolean;
  checkedAt: string;
  /** Transfers whose stored hash or chain link is wrong: edited, inserted or removed behind the ledger's back. */
  brokenTransfers: { id: number; shard: number; seq: number; problem: string }[];
  brokenChains: { shard: number; problem: string }[];
  /** Accounts whose stored balances differ from the sum of their transfers. */
  balanceMismatches: { id: number; code: string; posted: number; expectedPosted: number; pendingDebits: number; expectedPendingDebits: number }[];
  /** Sum of all posted balances; anything but 0 means credits were created or destroyed. */
  totalPosted: number;
}

/** A ledger transfer as an admin sees it: both accounts (GET /api/admin/ledger/transfers). */
export interface AdminTransferView {
  id: number;
  key: string;
  debit: string;
  credit: string;
  amount: number;
  kind: string;
  state: 'pending' | 'posted' | 'voided';
  pendingId: number | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  expiresAt: string | null;
}

/** The states of a payment (the payments.status CHECK); the admin list filters by them. */
export const PAYMENT_STATUSES = ['creating', 'pending', 'succeeded', 'failed', 'refunded', 'partially_refunded', 'disputed', 'error', 'held', 'rejected'] as const;

/** A payment as an admin sees it (GET /api/admin/payments). */
export interface AdminPaymentView extends PaymentView {
  userId: string;
  credited: boolean;
  reversedCredits: number;
  error: string | null;
}

/** A provider webhook event that failed for good (GET /api/admin/payments/dead-letters). */
export interface PaymentDeadLetterView {
  provider: ProviderName;
  eventId: string;
  type: string;
  attempts: number;
  lastError: string | null;
  receivedAt: string;
}

/** A background job that failed for good (GET /api/admin/jobs/dead-letters). */
export interface JobDeadLetterView {
  id: number;
  job: string;
  jobId: string;
  payload: unknown;
  error: string;
  attempts: number;
  /** Failed because it stalled too often (its worker died), not because its handler threw. */
  stalled: boolean;
  enqueuedAt: string;
  failedAt: string;
  retriedAt: string | null;
  retriedBy: string | null;
}

/** POST /api/admin/jobs/dead-letters/:id/retry: 202 queued, or 200 with queued false when it was already retried. */
export interface JobDeadLetterRetryResult {
  queued: boolean;
  deadLetter: JobDeadLetterView;
}

export interface ReconciliationDiscrepancy {
  /** unknown_at_pairly, missing_at_provider, succeeded_not_credited, credited_not_succeeded, amount_mismatch, refund_not_applied, ledger_mismatch, provider_unreachable. */
  kind: string;
  provider: string;
  paymentId: string | null;
  providerRef: string | null;
  details: Record<string, unknown>;
}

/** GET /api/admin/reconciliation: the last finished run (its row as stored, hence snake_case), or null before the first. */
export interface ReconciliationReport {
  id: number;
  started_at: string;
  finished_at: string | null;
  summary: Record<string, unknown>;
  discrepancies: ReconciliationDiscrepancy[];
}
