import type { Notify } from '../notifications/notifications.service.js';
import { mountedAt } from '../../http/route-docs.js';
import type { SfuController } from '../../../../shared/sfu.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { RoomSessions } from '../rooms/rooms.sweep.js';
import type { SfuRooms } from '../rooms/sfu-rooms.js';
import type { PresenceStore } from '../presence/presence.store.js';
import type { SafetyStore } from '../safety/safety.store.js';
import type { UsersStore } from '../users/users.store.js';
import { callsJobs } from './calls.jobs.js';
import { callRoomSessions } from './calls.media.js';
import { CallsMetering, type CallEnding } from './calls.metering.js';
import { callsRoutes, callsRouteDocs } from './calls.routes.js';
import { CallsService, type CallsOptions } from './calls.service.js';
import { callsEvents } from './calls.socket.js';
import { CallsStore } from './calls.store.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

export interface Calls {
  service: CallsService;
  metering: CallsMetering;
  /** For the media sweep: active calls' rooms, and what to do with what it finds. */
  roomSessions: RoomSessions;
  /** For the media sweep: which of these ids are calls that have ended. */
  endedCalls: (ids: string[]) => Promise<Set<string>>;
}

/**
 * The call lifecycle and its metering need each other (accepting holds the
 * first minute, ending settles the minute in progress; a tick ends a call it
 * cannot bill): the two are tied here, each seeing a narrow side of the other.
 */
export function createCalls(d: {
  db: Database;
  users: UsersStore;
  safety: SafetyStore;
  consent: (callerId: string, calleeId: string) => Promise<void>;
  ledger: LedgerService;
  realtime: Realtime;
  jobs: JobQueue;
  presence: Pick<PresenceStore, 'statuses' | 'rebuiltAt'>;
  sfu: SfuController | undefined;
  rooms: Pick<SfuRooms, 'destroy'>;
  logger: Logger;
  options: CallsOptions;
  notify?: Notify;
  events?: EventRecorder;
}): Calls {
  const store = new CallsStore(d.db);
  // Bound late: the service is built on the metering it is handed here.
  const ending: CallEnding = {
    endCall: (...a) => service.endCall(...a),
    endLocked: (...a) => service.endLocked(...a),
    afterCommit: (a) => service.afterCommit(a),
  };
  const metering = new CallsMetering({
    db: d.db,
    store,
    ledger: d.ledger,
    jobs: d.jobs,
    presence: d.presence,
    sfu: d.sfu,
    logger: d.logger,
    options: d.options,
    ending,
  });
  const service: CallsService = new CallsService({ ...d, store, metering });
  return {
    service,
    metering,
    roomSessions: callRoomSessions({ store, calls: service, metering, logger: d.logger }),
    endedCalls: (ids) => store.endedCalls(ids),
  };
}

/** The calls module: its lifecycle and metering, and what the media sweep needs of it. */
export function callsModule(d: Omit<Parameters<typeof createCalls>[0], 'options'> & { config: Config }) {
  const { config } = d;
  const calls = createCalls({
    ...d,
    // After Redis lost presence every live node has written its sockets back within one heartbeat:
    // until then (a TTL, to spare) an offline participant may only be one not written back yet.
    options: { ...config.calls, presenceSettleSeconds: config.chat.presenceTtlSeconds },
  });
  return {
    name: 'calls',
    ...calls,
    routes: (guards) => callsRoutes(guards, calls.service),
    docs: mountedAt('/api', callsRouteDocs, 'calls'),
    events: (router) => callsEvents(router, calls.service),
    jobs: callsJobs(calls.service, calls.metering),
  } satisfies ModuleWithServices;
}
