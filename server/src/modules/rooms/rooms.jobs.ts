import type { JobHandler } from '../../jobs/jobs.js';
import type { MediaSweep } from './rooms.sweep.js';
import type { SfuRooms } from './sfu-rooms.js';

/**
 * The sweep keeps its job name `calls.media-sweep` from before the media
 * module existed: schedules and queued jobs under that name still run.
 */
export function roomsJobs(
  sweep: Pick<MediaSweep, 'run'>,
  rooms: SfuRooms,
): {
  'calls.media-sweep': JobHandler<'calls.media-sweep'>;
  'sfu.destroy-room': JobHandler<'sfu.destroy-room'>;
} {
  return {
    'calls.media-sweep': async () => void (await sweep.run()),
    'sfu.destroy-room': (p) => rooms.destroyJob(p),
  };
}
