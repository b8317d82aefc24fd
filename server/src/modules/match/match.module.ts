import type { CallMedia } from '../../../../shared/calls.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import type { MediaView } from '../../../../shared/media.js';
import type { SfuController } from '../../../../shared/sfu.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { LimiterFactory } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { ChatService } from '../chat/chat.service.js';
import type { SfuRooms } from '../rooms/sfu-rooms.js';
import type { MatchQueue } from './match.queue.js';
import { MatchService } from './match.service.js';
import { matchEvents } from './match.socket.js';
import { MatchStore } from './match.store.js';

export function matchModule(d: {
  config: Config;
  db: Database;
  /** The deployment's queue driver (drivers.ts). */
  queue: MatchQueue;
  realtime: Realtime;
  logger: Logger;
  limiter: LimiterFactory;
  sfu: SfuController | undefined;
  rooms: Pick<SfuRooms, 'destroy'>;
  iceServers: (userId: string) => CallMedia['iceServers'];
  /** Chat owns conversations: a session's is opened, closed and read through it. */
  chat: Pick<ChatService, 'openMatchIn' | 'closeIn' | 'transcript'>;
  /** Users' avatars for the match card (profiles' rule; bound late, profiles are built after match). */
  avatars?: (userIds: string[]) => Promise<Map<string, MediaView | null>>;
  moderation: Pick<ModerationService, 'image'>;
}) {
  const { config } = d;
  const store = new MatchStore(d.db);
  const service = new MatchService({
    db: d.db,
    chat: d.chat,
    queue: d.queue,
    store,
    realtime: d.realtime,
    logger: d.logger,
    skipLimiter: d.limiter({ keyPrefix: 'match-skip', points: config.match.skipsPerMinute, durationSeconds: 60 }),
    // A little above the web client's one every 5 s, for jitter.
    snapshotLimiter: d.limiter({ keyPrefix: 'match-snapshot', points: 6, durationSeconds: 20 }),
    moderation: d.moderation,
    pairIntervalMs: config.match.pairIntervalMs,
    sfu: d.sfu,
    rooms: d.rooms,
    iceServers: d.iceServers,
    avatars: d.avatars,
  });
  return {
    name: 'match',
    service,
    /** For the media sweep: which of these ids are sessions that have ended. */
    endedSessions: (ids: string[]) => store.endedSessions(ids),
    events: (router) => matchEvents(router, service),
    start: () => service.start(),
    stop: () => service.stop(),
  } satisfies ModuleWithServices;
}
