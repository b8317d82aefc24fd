import type { ProviderName } from '../../../../shared/payments.js';
import type { JobHandler } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { LedgerStore } from '../ledger/ledger.store.js';
import type { PaymentsService } from './payments.service.js';
import type { PaymentsStore } from './payments.store.js';
import type { PaymentProvider } from './providers/provider.js';
import { reconcile } from './reconciliation.js';
import type { ReconciliationStore } from './reconciliation.store.js';

export function paymentsJobs(d: {
  payments: PaymentsService;
  providers: Map<ProviderName, PaymentProvider>;
  paymentsStore: PaymentsStore;
  ledgerStore: LedgerStore;
  reconciliationStore: ReconciliationStore;
  logger: Logger;
}): { 'payments.process-event': JobHandler<'payments.process-event'>; 'payments.reconcile': JobHandler<'payments.reconcile'> } {
  return {
    'payments.process-event': (p, ctx) => d.payments.processEvent(p.provider, p.eventId, ctx),
    'payments.reconcile': async (p) => {
      const requeued = await d.payments.requeueStale();
      if (requeued) d.logger.warn({ requeued }, 'payment events re-queued');
      await reconcile({
        providers: d.providers,
        payments: d.paymentsStore,
        ledger: d.ledgerStore,
        store: d.reconciliationStore,
        logger: d.logger,
        sinceHours: p.sinceHours ?? 24 * 7,
      });
    },
  };
}
