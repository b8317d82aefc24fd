import type { ProviderName } from '../../../../shared/payments.js';
import type { Logger } from '../../logger.js';
import { accounts } from '../ledger/accounts.js';
import type { LedgerStore } from '../ledger/ledger.store.js';
import type { PaymentRow, PaymentsStore } from './payments.store.js';
import type { PaymentProvider, ProviderRecord } from './providers/provider.js';
import type { Discrepancy, ReconciliationStore } from './reconciliation.store.js';

/**
 * Compares three views of every recent payment: our payments table, the
 * provider's own records (through its SDK's list calls) and the ledger.
 * Every difference is recorded with its kind:
 *
 * - unknown_at_pairly: the provider has a checkout we have no payment for
 * - missing_at_provider: we have an open payment the provider does not know
 * - succeeded_not_credited: the provider took the money, the wallet was not credited
 * - credited_not_succeeded: we credited, the provider does not say succeeded
 * - amount_mismatch: amounts or currencies differ
 * - refund_not_applied: the provider refunded more than we reversed
 * - ledger_mismatch: a credited payment without its exact ledger transfer
 */
export async function reconcile(d: {
  providers: Map<ProviderName, PaymentProvider>;
  payments: PaymentsStore;
  ledger: LedgerStore;
  store: ReconciliationStore;
  logger: Logger;
  sinceHours: number;
}): Promise<{ runId: number; discrepancies: Discrepancy[] }> {
  const runId = await d.store.start();
  const since = new Date(Date.now() - d.sinceHours * 3_600_000);
  const discrepancies: Discrepancy[] = [];
  const summary: Record<string, unknown> = { sinceHours: d.sinceHours };

  for (const [name, provider] of d.providers) {
    let records: ProviderRecord[];
    try {
      records = await provider.listSince(since);
    } catch (err) {
      d.logger.error({ err, provider: name }, 'reconciliation could not list provider records');
      discrepancies.push({ kind: 'provider_unreachable', provider: name, paymentId: null, providerRef: null, details: { error: String(err) } });
      continue;
    }
    const payments = await d.payments.createdSince(name, since);
    const byRef = new Map(payments.filter((p) => p.provider_ref).map((p) => [p.provider_ref!, p]));
    const byId = new Map(payments.map((p) => [p.id, p]));
    const seen = new Set<string>();
    const add = (kind: string, p: PaymentRow | undefined, ref: string | null, details: Record<string, unknown> = {}) =>
      discrepancies.push({ kind, provider: name, paymentId: p?.id ?? null, providerRef: ref, details });

    for (const r of records) {
      const p = byRef.get(r.ref) ?? (r.paymentId ? byId.get(r.paymentId) : undefined);
      if (!p) {
        add('unknown_at_pairly', undefined, r.ref, { status: r.status, amountMinor: r.amountMinor });
        continue;
      }
      seen.add(p.id);
      if (r.amountMinor !== p.amount_minor || r.currency !== p.currency) {
        add('amount_mismatch', p, r.ref, { provider: `${r.amountMinor} ${r.currency}`, pairly: `${p.amount_minor} ${p.currency}` });
      }
      // A payment held (or rejected) by risk scoring is captured without credits on purpose: it waits in the admin's risk view.
      if (r.status === 'succeeded' && !p.credited && p.risk_hold !== 'held' && p.risk_hold !== 'rejected') add('succeeded_not_credited', p, r.ref, { status: p.status });
      if (r.status !== 'succeeded' && p.credited) add('credited_not_succeeded', p, r.ref, { providerStatus: r.status });
      if (r.refundedMinor !== undefined && r.refundedMinor > p.refunded_minor) {
        add('refund_not_applied', p, r.ref, { providerRefunded: r.refundedMinor, pairlyRefunded: p.refunded_minor });
      }
    }
    for (const p of payments) {
      if (!seen.has(p.id) && p.provider_ref && p.status !== 'error') add('missing_at_provider', p, p.provider_ref, { status: p.status });
    }

    const credited = payments.filter((p) => p.credited && p.provider_ref);
    const transfers = await d.ledger.transfersByKeys(credited.map((p) => `${name}:${p.provider_ref}`));
    for (const p of credited) {
      const t = transfers.get(`${name}:${p.provider_ref}`);
      if (!t || t.amount !== p.credits || t.credit !== accounts.wallet(p.user_id)) {
        add('ledger_mismatch', p, p.provider_ref, { expectedCredits: p.credits, transfer: t ? { amount: t.amount, credit: t.credit } : null });
      }
    }
    summary[name] = { providerRecords: records.length, payments: payments.length };
  }

  summary.discrepancies = discrepancies.length;
  await d.store.finish(runId, discrepancies, summary);
  if (discrepancies.length) d.logger.warn({ runId, count: discrepancies.length }, 'reconciliation found discrepancies');
  return { runId, discrepancies };
}
