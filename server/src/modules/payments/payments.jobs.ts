import type { ProviderName } from '../../../../shared/payments.js';
import { AppError } from '../../errors.js';
import type { JobHandler } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { DeadLetterHooks } from '../dead-letters/dead-letters.service.js';
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
}): {
  'payments.process-event': JobHandler<'payments.process-event'>;
  'payments.reconcile': JobHandler<'payments.reconcile'>;
  'payments.requeue-stale': JobHandler<'payments.requeue-stale'>;
} {
  return {
    'payments.process-event': (p, ctx) => d.payments.processEvent(p.provider, p.eventId, ctx),
    'payments.requeue-stale': async () => {
      const requeued = await d.payments.requeueStale();
      if (requeued) d.logger.warn({ requeued }, 'payment events re-queued (their jobs were lost)');
    },
    'payments.reconcile': async (p) => {
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

/** A payment event's job died: its event is dead-lettered too; retrying revives the event. */
export function paymentsDeadLetterHooks(payments: PaymentsService): DeadLetterHooks {
  return {
    'payments.process-event': {
      dead: (p, error) => payments.eventJobDied(p.provider, p.eventId, error),
      async retry(p) {
        try {
          await payments.retryDeadLetter(p.provider, p.eventId);
        } catch (err) {
          // Not dead any more (retried from the payments view, or processed): nothing to run again.
          if (!(err instanceof AppError && err.code === 'NOT_FOUND')) throw err;
        }
      },
    },
  };
}
