import type { JobHandler } from '../../jobs/jobs.js';
import type { CallsService } from './calls.service.js';

export function callsJobs(calls: CallsService): { 'calls.ring-timeout': JobHandler<'calls.ring-timeout'>; 'calls.tick': JobHandler<'calls.tick'> } {
  return {
    'calls.ring-timeout': (p) => calls.ringTimeout(p.callId),
    'calls.tick': (p) => calls.tick(p.callId, p.minute),
  };
}
