import type { JobHandler } from '../../jobs/jobs.js';
import type { CallsMetering } from './calls.metering.js';
import type { CallsService } from './calls.service.js';

export function callsJobs(
  calls: CallsService,
  metering: CallsMetering,
): {
  'calls.ring-timeout': JobHandler<'calls.ring-timeout'>;
  'calls.tick': JobHandler<'calls.tick'>;
} {
  return {
    'calls.ring-timeout': (p) => calls.ringTimeout(p.callId),
    'calls.tick': (p) => metering.tick(p.callId, p.minute),
  };
}
