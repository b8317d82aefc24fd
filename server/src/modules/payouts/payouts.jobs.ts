import type { JobHandler } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { PayoutsService } from './payouts.service.js';

export function payoutsJobs(d: { payouts: PayoutsService; logger: Logger }): { 'payouts.send': JobHandler<'payouts.send'>; 'payouts.sweep': JobHandler<'payouts.sweep'> } {
  return {
    'payouts.send': (p, ctx) => d.payouts.send(p.payoutId, ctx),
    'payouts.sweep': async () => {
      const r = await d.payouts.sweep();
      if (r.resent || r.automatic) d.logger.info(r, 'payouts sweep');
    },
  };
}
