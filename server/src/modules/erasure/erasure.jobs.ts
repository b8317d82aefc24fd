import type { JobHandler } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { DeletionService } from './deletion.service.js';
import type { ExportsService } from './exports.service.js';

export function erasureJobs(d: { deletion: DeletionService; exports: ExportsService; logger: Logger }): {
  'account.erase': JobHandler<'account.erase'>;
  'account.export': JobHandler<'account.export'>;
  'account.sweep': JobHandler<'account.sweep'>;
} {
  return {
    'account.erase': (p) => d.deletion.erase(p.userId),
    'account.export': (p) => d.exports.build(p.exportId),
    'account.sweep': async () => {
      const erasures = await d.deletion.sweep();
      const exports = await d.exports.sweep();
      if (erasures || exports.requeued || exports.dropped) d.logger.info({ erasures, ...exports }, 'account sweep');
    },
  };
}
