import type { AdminPayoutView, PayoutMethodView, PayoutView } from '../../../../shared/payouts.js';
import type { MethodRow, PayoutRow } from './payouts.store.js';

export function payoutView(r: PayoutRow): PayoutView {
  return {
    id: r.id,
    provider: r.provider,
    credits: Number(r.credits),
    amountMinor: Number(r.amount_minor),
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    automatic: r.automatic,
    requestedAt: r.requested_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export function adminPayoutView(r: PayoutRow, displayName: string | null): AdminPayoutView {
  return { ...payoutView(r), creator: { id: r.creator_id, displayName }, providerRef: r.provider_ref };
}

export function methodView(m: MethodRow): PayoutMethodView {
  return { provider: m.provider, status: m.status, details: m.details, updatedAt: m.updated_at.toISOString() };
}
