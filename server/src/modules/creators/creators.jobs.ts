import type { JobHandler } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { SubscriptionsService } from './subscriptions.service.js';

export function creatorsJobs(d: { subs: SubscriptionsService; logger: Logger }): { 'creators.renew': JobHandler<'creators.renew'> } {
  return {
    'creators.renew': async () => {
      const counts = await d.subs.renewDue();
      if (counts.renewed + counts.grace + counts.expired + counts.expiring > 0) d.logger.info({ ...counts }, 'subscriptions renewed');
    },
  };
}
