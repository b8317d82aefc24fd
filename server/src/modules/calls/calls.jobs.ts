import type { JobHandler } from '../../jobs/jobs.js';
import type { CallsService } from './calls.service.js';
import type { SfuRooms } from './sfu-rooms.js';

export function callsJobs(
  calls: CallsService,
  rooms: SfuRooms,
): {
  'calls.ring-timeout': JobHandler<'calls.ring-timeout'>;
  'calls.tick': JobHandler<'calls.tick'>;
  'calls.media-sweep': JobHandler<'calls.media-sweep'>;
  'sfu.destroy-room': JobHandler<'sfu.destroy-room'>;
} {
  return {
    'calls.ring-timeout': (p) => calls.ringTimeout(p.callId),
    'calls.tick': (p) => calls.tick(p.callId, p.minute),
    'calls.media-sweep': async () => void (await calls.mediaSweep()),
    'sfu.destroy-room': (p) => rooms.destroyJob(p),
  };
}
