import type { JobHandler } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { LedgerService } from './ledger.service.js';
import type { LedgerStore } from './ledger.store.js';
import { verifyLedger } from './ledger.verify.js';

export function ledgerJobs(
  ledger: LedgerService,
  store: LedgerStore,
  logger: Logger,
): { 'ledger.expire-holds': JobHandler<'ledger.expire-holds'>; 'ledger.verify': JobHandler<'ledger.verify'> } {
  return {
    'ledger.expire-holds': async () => {
      const voided = await ledger.expireHolds();
      if (voided) logger.info({ voided }, 'expired holds voided');
    },
    'ledger.verify': async () => {
      const report = await verifyLedger(store);
      await store.recordVerification(report.ok, report);
      if (report.ok) logger.info({ totalPosted: report.totalPosted }, 'ledger verified');
      // A failed verification is an incident, not a job failure to retry: log it loudly with every finding.
      else logger.error({ report }, 'LEDGER VERIFICATION FAILED');
    },
  };
}
