import type { Notify } from '../notifications/notifications.service.js';
import { mountedAt } from '../../http/route-docs.js';
import type { Config } from '../../config.js';
import type { Counters } from '../../counters.js';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { SyncedLimiterFactory } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { MediaService } from '../media/media.service.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { SafetyStore } from '../safety/safety.store.js';
import type { UsersStore } from '../users/users.store.js';
import { chatRoutes, chatRouteDocs, type Avatars } from './chat.routes.js';
import { ChatService } from './chat.service.js';
import { ChatBatchStore } from './chat.batch.store.js';
import { chatEvents } from './chat.socket.js';
import { ChatStore } from './chat.store.js';
import { ChatChanges, type TextModeration } from './chat.changes.js';
import { ChatChangesStore } from './chat.changes.store.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';
import type { WriteBatchObserver } from '../../batcher.js';

export function chatModule(d: {
  config: Config;
  db: Database;
  safety: SafetyStore;
  users: UsersStore;
  ledger: LedgerService;
  media: Pick<MediaService, 'requireOwned' | 'get'>;
  presence: PresenceService;
  realtime: Realtime;
  /** The send limits are hit by every message: counted per node, synced to Redis in batches. */
  limiter: SyncedLimiterFactory;
  /** Messages per second, for the admins' live view. */
  counters: Counters;
  logger: Logger;
  /** Peers' avatars in the conversation list (profiles' rule; bound late, profiles are built on chat). */
  avatars?: Avatars;
  /** Refuses a creator who may not sell yet (verification's; bound late). */
  paidContent?: (creatorId: string) => Promise<void>;
  /** Trust and safety's text step for messages and edits. */
  moderation?: Pick<ModerationService, 'message' | 'subjectGone'>;
  notify: Notify;
  events?: EventRecorder;
  /** Told of each group commit of sends and receipts (metrics). */
  observeBatch?: WriteBatchObserver;
}) {
  const { config, limiter } = d;
  const store = new ChatStore(d.db, (userId) => d.db.reader(userId));
  const changesStore = new ChatChangesStore(d.db, (userId) => d.db.reader(userId));
  const moderation = d.moderation;
  const moderate: TextModeration | undefined =
    moderation &&
    ((m) => moderation.message({ senderId: m.userId, conversationId: m.conversationId, clientId: m.ref, body: m.body, stranger: () => store.strangerTo(m.userId, m.conversationId) }));
  const changes = new ChatChanges({
    db: d.db,
    store: changesStore,
    realtime: d.realtime,
    editWindowSeconds: config.chat.editWindowSeconds,
    deleteWindowSeconds: config.chat.deleteWindowSeconds,
    moderate,
    attachmentGone: moderation && ((mediaId) => moderation.subjectGone('media', mediaId)),
  });
  const service = new ChatService({
    db: d.db,
    store,
    safety: d.safety,
    users: d.users,
    ledger: d.ledger,
    media: d.media,
    realtime: d.realtime,
    limits: {
      perUser: limiter({ keyPrefix: 'chat-user', points: config.chat.messagesPer10s, durationSeconds: 10 }),
      perConversation: limiter({ keyPrefix: 'chat-conv', points: config.chat.floodPer5s, durationSeconds: 5 }),
    },
    pageMaxBytes: config.chat.pageMaxBytes,
    onMessage: (senderId) => {
      d.counters.incr('messages');
      d.events?.message(senderId);
    },
    batchStore: new ChatBatchStore(),
    paidContent: d.paidContent,
    changes: changesStore,
    moderate,
    notify: d.notify,
    onRulesDisagree: (why) => d.logger.error({ why }, 'chat send batch: SQL and decideSend disagree; batch retried in two statements'),
    observeBatch: d.observeBatch,
  });
  let typingTracked = () => 0;
  return {
    name: 'chat',
    service,
    store,
    /** Reactions, edits and deletes. */
    changes,
    /** Typing indicators this node tracks (sockets × conversations); tests check none leak. */
    typingTracked: () => typingTracked(),
    routes: (guards) => chatRoutes(guards, service, d.presence, d.avatars ?? (async () => new Map())),
    docs: mountedAt('/api', chatRouteDocs, 'chat'),
    events: (router) => {
      const typing = chatEvents(router, { chat: service, changes, presence: d.presence, realtime: d.realtime, typingTtlMs: config.chat.typingTtlMs, logger: d.logger, wrote: (userId) => d.db.wrote(userId) });
      typingTracked = typing.typingTracked;
      return { disconnected: typing.disconnected };
    },
  } satisfies ModuleWithServices;
}
