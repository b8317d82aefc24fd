import type { SfuController } from '../../../../shared/sfu.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { PresenceStore } from '../presence/presence.store.js';
import type { SafetyStore } from '../safety/safety.store.js';
import type { UsersStore } from '../users/users.store.js';
import { callsJobs } from './calls.jobs.js';
import { callsRoutes } from './calls.routes.js';
import { CallsService } from './calls.service.js';
import { callsEvents } from './calls.socket.js';
import { CallsStore } from './calls.store.js';
import { SfuRooms } from './sfu-rooms.js';

export function callsModule(d: {
  config: Config;
  db: Database;
  users: UsersStore;
  safety: SafetyStore;
  ledger: LedgerService;
  realtime: Realtime;
  jobs: JobQueue;
  presence: Pick<PresenceStore, 'statuses' | 'rebuiltAt'>;
  sfu: SfuController | undefined;
  logger: Logger;
}) {
  const { config } = d;
  const rooms = new SfuRooms({ sfu: d.sfu, jobs: d.jobs, logger: d.logger });
  const service = new CallsService({
    db: d.db,
    store: new CallsStore(d.db),
    users: d.users,
    safety: d.safety,
    ledger: d.ledger,
    realtime: d.realtime,
    jobs: d.jobs,
    presence: d.presence,
    sfu: d.sfu,
    rooms,
    logger: d.logger,
    // After Redis lost presence every live node has written its sockets back within one heartbeat:
    // until then (a TTL, to spare) an offline participant may only be one not written back yet.
    options: { ...config.calls, presenceSettleSeconds: config.chat.presenceTtlSeconds },
  });
  return {
    name: 'calls',
    service,
    rooms,
    routes: (guards) => callsRoutes(guards, service),
    events: (router) => callsEvents(router, service),
    jobs: callsJobs(service, rooms),
    schedules: config.sfu.instances.length > 0 ? [{ name: 'calls.media-sweep', payload: {}, everyMs: config.calls.mediaSweepSeconds * 1000 }] : [],
  } satisfies ModuleWithServices;
}
