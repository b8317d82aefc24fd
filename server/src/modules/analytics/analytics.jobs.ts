import type { JobHandler } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { AnalyticsService } from './analytics.service.js';

export function analyticsJobs(d: { analytics: AnalyticsService; logger: Logger }): { 'analytics.rollup': JobHandler<'analytics.rollup'> } {
  return {
    'analytics.rollup': async (p) => {
      if (p.day) {
        const r = await d.analytics.rollup(p.day);
        d.logger.info(r, 'analytics roll-up');
      } else {
        const days = await d.analytics.rollupRecent();
        d.logger.info({ days }, 'analytics roll-up');
      }
    },
  };
}
