import { createHmac } from 'node:crypto';
import type { Router } from 'express';
import { adminEventSchemas, type AdminEventResults } from '../../shared/admin.js';
import type { Config } from './config.js';
import type { Counters } from './counters.js';
import type { Database } from './db/database.js';
import type { Domain } from './domain.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { localLimiter, type LimiterFactory } from './ratelimit.js';
import { EventRouter, type PairlySocket } from './realtime/event-router.js';
import type { PairlyServer } from './realtime/io.js';
import type { Realtime } from './realtime/realtime.js';
import { AdminPresence, attachAdminNamespace } from './modules/admin/admin.presence.js';
import { adminPresenceRoutes } from './modules/admin/admin.presence.routes.js';
import type { AuthService } from './modules/auth/auth.service.js';
import { chatRoutes } from './modules/chat/chat.routes.js';
import { ChatService } from './modules/chat/chat.service.js';
import { chatEvents } from './modules/chat/chat.socket.js';
import { ChatStore } from './modules/chat/chat.store.js';
import { PresenceService } from './modules/presence/presence.service.js';
import type { PresenceStore } from './modules/presence/presence.store.js';
import type { SfuController } from '../../shared/sfu.js';
import { safetyRoutes } from './modules/safety/safety.routes.js';
import type { MatchQueue } from './modules/match/match.queue.js';
import { matchRoutes } from './modules/match/match.routes.js';
import { MatchService } from './modules/match/match.service.js';
import { matchEvents } from './modules/match/match.socket.js';
import { MatchStore } from './modules/match/match.store.js';
import { callsRoutes } from './modules/calls/calls.routes.js';
import { callsEvents } from './modules/calls/calls.socket.js';
import { profilesRoutes } from './modules/profiles/profiles.routes.js';
import { ProfilesService } from './modules/profiles/profiles.service.js';
import { ProfilesStore } from './modules/profiles/profiles.store.js';

/**
 * Chat, presence, safety and the admins' live view, wired for one server
 * node: what pairly.ts mounts on HTTP and Socket.IO.
 */
export function createSocial(d: {
  config: Config;
  jwtSecret: string;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  limiter: LimiterFactory;
  realtime: Realtime;
  domain: Domain;
  auth: AuthService;
  presenceStore: PresenceStore;
  counters: Counters;
  matchQueue: MatchQueue;
  sfu: SfuController | undefined;
}) {
  const { config, logger, counters } = d;
  const chatStore = new ChatStore(d.db);
  const safety = d.domain.safety;
  const presenceStore = d.presenceStore;
  const match = new MatchService({
    queue: d.matchQueue,
    store: new MatchStore(d.db),
    realtime: d.realtime,
    logger,
    skipLimiter: d.limiter({ keyPrefix: 'match-skip', points: config.match.skipsPerMinute, durationSeconds: 60 }),
    pairIntervalMs: config.match.pairIntervalMs,
    sfu: d.sfu,
    rooms: d.domain.sfuRooms,
    iceServers: (userId) => d.domain.calls.iceServers(userId),
  });
  const presence = new PresenceService({
    store: presenceStore,
    chat: chatStore,
    realtime: d.realtime,
    logger,
    nodeId: config.nodeId,
    ttlSeconds: config.chat.presenceTtlSeconds,
    heartbeatMs: config.presenceHeartbeatMs,
    onNodeReaped: (node) => match.purgeNode(node),
  });
  const chat = new ChatService({
    db: d.db,
    store: chatStore,
    safety,
    users: d.domain.users,
    ledger: d.domain.ledger,
    realtime: d.realtime,
    limits: {
      perUser: d.limiter({ keyPrefix: 'chat-user', points: config.chat.messagesPer10s, durationSeconds: 10 }),
      perConversation: d.limiter({ keyPrefix: 'chat-conv', points: config.chat.floodPer5s, durationSeconds: 5 }),
    },
    pageMaxBytes: config.chat.pageMaxBytes,
    onMessage: () => counters.incr('messages'),
  });
  const profiles = new ProfilesService({
    db: d.db,
    // Derived like the other keys from the JWT secret, so every node places everyone alike.
    store: new ProfilesStore(d.db, createHmac('sha256', d.jwtSecret).update('pairly-location-fuzz').digest()),
    chat: chatStore,
    safety,
    realtime: d.realtime,
    locationChanges: d.limiter({ keyPrefix: 'location', points: config.profiles.locationChangesPerDay, durationSeconds: 86_400 }),
  });
  const admin = new AdminPresence({ nodeId: config.nodeId, store: presenceStore, presence, counters, users: d.domain.users, match, calls: d.domain.calls });
  let detachAdmin: (() => void) | undefined;
  let typingTracked = () => 0;

  return {
    chat,
    presence,
    profiles,
    match,
    admin,
    /** Typing indicators this node tracks (sockets × conversations); tests check none leak. */
    typingTracked: () => typingTracked(),
    mount(api: Router) {
      api.use(chatRoutes(d.auth, chat, presence));
      api.use(safetyRoutes(d.auth, safety));
      api.use(profilesRoutes(d.auth, profiles));
      api.use(matchRoutes(d.auth, match));
      api.use(callsRoutes(d.auth, d.domain.calls));
      api.use('/admin', adminPresenceRoutes(d.auth, admin));
    },
    events(router: EventRouter) {
      const typing = chatEvents(router, { chat, presence, realtime: d.realtime, typingTtlMs: config.chat.typingTtlMs, logger });
      typingTracked = typing.typingTracked;
      const queue = matchEvents(router, match);
      callsEvents(router, d.domain.calls);
      return [
        {
          connected: (s: PairlySocket) => void presence.connected(s.data.userId, s.id).catch((err) => logger.warn({ err }, 'presence connect failed')),
          disconnected: (s: PairlySocket) => {
            typing.disconnected(s);
            queue.disconnected(s);
            void presence.disconnected(s.data.userId, s.id).catch((err) => logger.warn({ err }, 'presence disconnect failed'));
          },
        },
      ];
    },
    async start(io: PairlyServer) {
      const adminRouter = new EventRouter<typeof adminEventSchemas, AdminEventResults>(adminEventSchemas, {
        limiter: localLimiter({ keyPrefix: 'admin-events', points: 20, durationSeconds: 2 }),
        logger,
        metrics: d.metrics,
      });
      detachAdmin = attachAdminNamespace(io.of('/admin'), { auth: d.auth, admin, router: adminRouter, logger });
      await presence.start();
      match.start();
    },
    async stop() {
      detachAdmin?.();
      match.stop();
      await presence.stop();
    },
  };
}
