import type {
  AdminPaymentView,
  AdminTransferView,
  JobDeadLetterRetryResult,
  JobDeadLetterView,
  LedgerVerifyReport,
  PaymentDeadLetterView,
  ReconciliationReport,
} from '../../../shared/admin.js';
import type { WalletBalance } from '../../../shared/events.js';
import type { ProviderName } from '../../../shared/payments.js';
import { api, ApiError } from './api.js';
import { errorText } from './error-text.js';

/** The admin REST routes (README route table), typed by the shared contracts. */

export const adminKeys = {
  transfers: (f: TransferFilters) => ['admin', 'transfers', f] as const,
  payments: (f: PaymentFilters) => ['admin', 'payments', f] as const,
  reconciliation: ['admin', 'reconciliation'] as const,
  jobDeadLetters: (status: 'open' | 'all') => ['admin', 'dead-letters', 'jobs', status] as const,
  paymentDeadLetters: ['admin', 'dead-letters', 'payments'] as const,
  analytics: (from: string, to: string) => ['admin', 'analytics', from, to] as const,
};

/** A query string of the set values only. */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && String(v).trim() !== '') q.set(k, String(v).trim());
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const verifyLedger = () => api<LedgerVerifyReport>('/api/admin/ledger/verify');

export interface TransferFilters {
  userId?: string;
  kind?: string;
  key?: string;
}

export const listTransfers = (f: TransferFilters, cursor: number | null, limit = 25) =>
  api<{ transfers: AdminTransferView[]; nextCursor: number | null }>(`/api/admin/ledger/transfers${queryString({ ...f, cursor, limit })}`);

/** What an adjustment answers: 201, or 200 with replayed when this Idempotency-Key was already used for it. */
export interface AdjustmentResult {
  replayed: boolean;
  wallet: WalletBalance;
}

export interface AdjustmentBody {
  userId: string;
  amount: number;
  reason: string;
}

/** One adjustment the admin means to make, with its Idempotency-Key. */
export interface AdjustmentIntent {
  body: AdjustmentBody;
  key: string;
}

/**
 * The intent to send: the same adjustment reviewed again (after a failure, or
 * Back and Review with nothing changed) keeps its key, so it cannot land
 * twice; a changed one is a new intent with a new key.
 */
export function intentFor(prev: AdjustmentIntent | null, body: AdjustmentBody, newKey: () => string): AdjustmentIntent {
  const same = prev && prev.body.userId === body.userId && prev.body.amount === body.amount && prev.body.reason === body.reason;
  return same ? prev : { body, key: newKey() };
}

/** An adjustment's refusals in an admin's words (errorText speaks to the wallet's owner). */
export function adjustmentErrorText(err: unknown): string {
  const code = err instanceof ApiError ? err.code : undefined;
  if (code === 'INSUFFICIENT_CREDITS') return 'Their wallet holds fewer credits than that. Take away less, or check the amount.';
  if (code === 'IDEMPOTENCY_CONFLICT') return 'This request was already used for a different adjustment. Go back and review it again.';
  return errorText(err);
}

export const adjust = (body: AdjustmentBody, idempotencyKey: string) =>
  api<AdjustmentResult>('/api/admin/ledger/adjustments', { method: 'POST', body, idempotencyKey });

export interface PaymentFilters {
  status?: string;
  provider?: ProviderName | '';
}

export const listPayments = (f: PaymentFilters, before?: string, limit = 25) =>
  api<{ payments: AdminPaymentView[] }>(`/api/admin/payments${queryString({ status: f.status, provider: f.provider, before, limit })}`);

export const latestReconciliation = () => api<{ report: ReconciliationReport | null }>('/api/admin/reconciliation');

export const runReconciliation = () => api<{ queued: boolean }>('/api/admin/reconciliation/run', { method: 'POST' });

export const listJobDeadLetters = (status: 'open' | 'all') => api<{ deadLetters: JobDeadLetterView[] }>(`/api/admin/jobs/dead-letters${queryString({ status })}`);

export const retryJobDeadLetter = (id: number) => api<JobDeadLetterRetryResult>(`/api/admin/jobs/dead-letters/${id}/retry`, { method: 'POST' });

export const listPaymentDeadLetters = () => api<{ events: PaymentDeadLetterView[] }>('/api/admin/payments/dead-letters');

export type RetryOutcome = 'queued' | 'already';

/**
 * Retries a dead webhook event. The server answers 202 when it queued it, and
 * NOT_FOUND when the event is no longer dead: someone already retried it.
 */
export async function retryPaymentDeadLetter(provider: ProviderName, eventId: string): Promise<RetryOutcome> {
  try {
    await api<{ queued: boolean }>(`/api/admin/payments/dead-letters/${encodeURIComponent(provider)}/${encodeURIComponent(eventId)}/retry`, { method: 'POST' });
    return 'queued';
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NOT_FOUND') return 'already';
    throw err;
  }
}
