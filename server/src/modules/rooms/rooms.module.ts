import type { SfuController } from '../../../../shared/sfu.js';
import type { Config } from '../../config.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import { roomsJobs } from './rooms.jobs.js';
import { MediaSweep, type EndedOwners, type RoomSessions } from './rooms.sweep.js';
import { SfuRooms } from './sfu-rooms.js';

/**
 * SFU rooms and the media sweep, for every module whose sessions hold rooms
 * (calls, video random matches). Those modules are built on this one's rooms,
 * so they are named to it late, by `owners`, read when the sweep first runs.
 */
export function roomsModule(d: {
  config: Config;
  sfu: SfuController | undefined;
  jobs: JobQueue;
  logger: Logger;
  owners: () => { sessions: RoomSessions; endedOwners: EndedOwners[] };
}) {
  const rooms = new SfuRooms({ sfu: d.sfu, jobs: d.jobs, logger: d.logger });
  let sweep: MediaSweep | undefined;
  const sweeper = () => (sweep ??= new MediaSweep({ sfu: d.sfu, rooms, ...d.owners(), logger: d.logger, options: d.config.calls }));
  return {
    name: 'rooms',
    rooms,
    jobs: roomsJobs({ run: () => sweeper().run() }, rooms),
    schedules:
      d.config.sfu.instances.length > 0 ? [{ name: 'calls.media-sweep' as const, payload: {}, everyMs: d.config.calls.mediaSweepSeconds * 1000 }] : [],
  } satisfies ModuleWithServices;
}
