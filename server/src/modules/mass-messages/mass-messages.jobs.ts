import type { JobHandler } from '../../jobs/jobs.js';
import type { MassMessagesService } from './mass-messages.service.js';

export function massMessagesJobs(service: MassMessagesService): { 'mass-messages.deliver': JobHandler<'mass-messages.deliver'>; 'mass-messages.sweep': JobHandler<'mass-messages.sweep'> } {
  return {
    'mass-messages.deliver': async (p) => void (await service.deliver(p.massMessageId)),
    'mass-messages.sweep': async () => void (await service.sweep()),
  };
}
