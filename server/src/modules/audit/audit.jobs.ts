import type { JobHandler } from '../../jobs/jobs.js';
import type { AuditStore } from './audit.store.js';

export function auditJobs(store: AuditStore): { 'audit.record': JobHandler<'audit.record'> } {
  return {
    'audit.record': (entry) => store.insert(entry),
  };
}
