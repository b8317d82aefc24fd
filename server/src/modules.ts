import { JOB_NAMES } from '../../shared/jobs.js';
import type { SfuController } from '../../shared/sfu.js';
import type { Config } from './config.js';
import type { WriteBatchObserver } from './batcher.js';
import { openMediaStorage, type Drivers } from './drivers.js';
import type { JobHandlers, JobSchedule } from './jobs/jobs.js';
import type { Logger } from './logger.js';
import type { Module } from './module.js';
import type { Realtime } from './realtime/realtime.js';
import { adminModule } from './modules/admin/admin.module.js';
import { consolesModule } from './modules/consoles/consoles.module.js';
import { analyticsModule } from './modules/analytics/analytics.module.js';
import { auditModule } from './modules/audit/audit.module.js';
import { authModule } from './modules/auth/auth.module.js';
import { callsModule } from './modules/calls/calls.module.js';
import { chatModule } from './modules/chat/chat.module.js';
import { creatorsModule } from './modules/creators/creators.module.js';
import { deadLettersModule } from './modules/dead-letters/dead-letters.module.js';
import { erasureModule } from './modules/erasure/erasure.module.js';
import { mailModule } from './modules/mail/mail.module.js';
import { ledgerModule } from './modules/ledger/ledger.module.js';
import { earningsModule } from './modules/earnings/earnings.module.js';
import { roomsModule } from './modules/rooms/rooms.module.js';
import { ReconciliationService } from './modules/payments/reconciliation.service.js';
import { massMessagesModule } from './modules/mass-messages/mass-messages.module.js';
import { matchModule } from './modules/match/match.module.js';
import { mediaModule } from './modules/media/media.module.js';
import { moderationModule } from './modules/moderation/moderation.module.js';
import { notificationsModule } from './modules/notifications/notifications.module.js';
import { ANYONE } from './modules/media/media.views.js';
import { paymentsModule } from './modules/payments/payments.module.js';
import { payoutsModule } from './modules/payouts/payouts.module.js';
import { postsModule } from './modules/posts/posts.module.js';
import { presenceModule } from './modules/presence/presence.module.js';
import { profilesModule } from './modules/profiles/profiles.module.js';
import { riskModule } from './modules/risk/risk.module.js';
import { reportsModule } from './modules/reports/reports.module.js';
import { safetyModule } from './modules/safety/safety.module.js';
import { systemModule } from './modules/system/system.module.js';
import { usersModule } from './modules/users/users.module.js';
import { verificationModule } from './modules/verification/verification.module.js';

/**
 * Every module, built in dependency order, each given only the services it
 * uses. A server node (pairly.ts) mounts the whole list; the workers process
 * builds the same list and runs only its jobs and schedules.
 */
export function createModules(d: {
  config: Config;
  jwtSecret: string;
  logger: Logger;
  drivers: Drivers;
  realtime: Realtime;
  sfu: SfuController | undefined;
  control?: { secret: string };
  /** Told of each group commit (the node's metrics; the workers process has none). */
  observeBatch?: WriteBatchObserver;
}) {
  const { config, jwtSecret, logger, drivers, realtime, sfu, observeBatch } = d;
  const { db, limiter, counters } = drivers;
  const jobs = drivers.jobs.queue;

  const audit = auditModule({ db, jobs, logger });
  // Built first: modules record product events into its buffer after their commits.
  const analytics = analyticsModule({ db, jobs, logger, audit: audit.service });
  const events = analytics.recorder;
  // Whether a creator may sell (CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION) is verification's rule, built on media: bound late.
  const paidContent = (creatorId: string) => verification.service.requirePaidContentAllowed(creatorId);
  const users = usersModule({ db, realtime, audit: audit.service, paidContent });
  // Quarantined media is settled by media, built later: bound late.
  const moderation = moderationModule({
    config,
    db,
    limiter,
    redis: drivers.redis,
    audit: audit.service,
    logger,
    deciders: () => ({ media: (id, decision, adminId) => media.service.settleQuarantine(adminId, id, decision) }),
    isCreator: async (userId) => (await users.store.findById(userId))?.role === 'creator',
  });
  const mail = mailModule({ config, jobs, logger });
  // A held payment's credits are payments' to grant, and payments is built on risk: bound late.
  const risk = riskModule({
    config,
    db,
    users: users.store,
    mail: mail.service,
    audit: audit.service,
    logger,
    holds: () => ({ decideHold: (tx, id, decision) => payments.service.decideHold(tx, id, decision), walletsChanged: (ids) => payments.service.walletsChanged(ids) }),
  });
  // Built early: every module after it tells users things through it.
  const notifications = notificationsModule({ config, db, realtime, presence: drivers.presence, users: users.store, mail: mail.service, jobs, logger });
  // A suspended account's sign-in is answered by trust and safety (its end, an appeal token): bound late.
  const auth = authModule({
    config,
    jwtSecret,
    db,
    users: users.store,
    audit: audit.service,
    realtime,
    limiter,
    mail: mail.service,
    revocations: drivers.revocations,
    suspension: (row) => reports.decisions.refusal(row),
    risk: risk.service,
    notify: notifications.service,
    events,
  });
  const ledger = ledgerModule({ config, db, realtime, logger, observeBatch });
  const payments = paymentsModule({ config, jwtSecret, db, ledger: ledger.service, ledgerStore: ledger.store, jobs, logger, risk: risk.service, events });
  const safety = safetyModule({ db });
  // Calls and match sessions hold SFU rooms; the media sweep is told of them once they exist.
  const rooms = roomsModule({
    config,
    sfu,
    jobs,
    logger,
    owners: () => ({ sessions: calls.roomSessions, endedOwners: [calls.endedCalls, match.endedSessions] }),
  });
  // Who may call whom is chat's consent rule (built below): bound late.
  const calls = callsModule({ config, db, users: users.store, safety: safety.store, consent: (a, b) => chat.service.assertConsent(a, b), ledger: ledger.service, realtime, jobs, presence: drivers.presence, sfu, rooms: rooms.rooms, logger, notify: notifications.service, events });
  // Presence and chat need each other (chat's routes show presence; presence's audience is chat's rule): bound late.
  const presence = presenceModule({
    config,
    db,
    store: drivers.presence,
    realtime,
    logger,
    onNodeReaped: (node) => match.service.purgeNode(node),
    onRebuilt: () => match.service.rejoinLocal(),
    audience: (subjects, viewer) => chat.service.presenceAudience(subjects, viewer),
    setLastSeen: (userId, at) => users.store.setLastSeen(userId, at),
  });
  // Read rules of attachments (chat's) and later of posts (creators') belong to the modules built on media: bound late.
  const media = mediaModule({
    config,
    db,
    storage: openMediaStorage(config, jwtSecret),
    jobs,
    realtime,
    limiter,
    audit: audit.service,
    logger,
    moderation: moderation.service,
    access: () => ({
      message_attachment: (viewer, m) => chat.service.attachmentAccess(viewer, m.id),
      post_media: (viewer, m) => posts.service.mediaAccess(viewer, m.id),
    }),
  });
  const verification = verificationModule({ config, db, media: media.service, users: users.store, audit: audit.service, realtime });
  // Pictures of people are profiles' (built on chat): bound late.
  const avatars = (userIds: string[]) => profiles.service.avatarsOf(ANYONE, userIds);
  const chat = chatModule({ config, db, safety: safety.store, users: users.store, ledger: ledger.service, media: media.service, presence: presence.service, realtime, limiter: drivers.syncedLimiter, counters, logger, avatars, paidContent, moderation: moderation.service, notify: notifications.service, events, observeBatch });
  const match = matchModule({
    config,
    db,
    queue: drivers.matchQueue,
    realtime,
    logger,
    limiter,
    sfu,
    rooms: rooms.rooms,
    iceServers: (userId) => calls.service.iceServers(userId),
    chat: chat.service,
    avatars,
    moderation: moderation.service,
  });
  const posts = postsModule({ config, db, ledger: ledger.service, media: media.service, jobs, logger, paidContent, text: moderation.service, notify: notifications.service, events });
  const profiles = profilesModule({ config, jwtSecret, db, chat: chat.service, media: media.service, safety: safety.store, realtime, limiter, text: moderation.service, notify: notifications.service, events });
  const creators = creatorsModule({ config, db, ledger: ledger.service, realtime, logger, notify: notifications.service, events, photos: (viewer, ids) => profiles.service.photosOf(viewer, ids), joined: (fan, creator) => posts.feed.backfill(fan, creator), paidContent, text: moderation.service,
    tipTargets: { post: (viewer, id) => posts.service.creatorOf(viewer, id), message: (viewer, id) => chat.service.messageSender(viewer.userId, id) },
  });
  const massMessages = massMessagesModule({ config, db, chat: chat.service, media: media.service, realtime, jobs, logger, paidContent, text: moderation.service, notify: notifications.service });
  const deadLetters = deadLettersModule({ db, jobs, logger, audit: audit.service, hooks: { ...payments.deadLetterHooks }, retentionDays: config.deadLetterRetentionDays });
  const admin = adminModule({
    config,
    logger,
    auth: auth.service,
    users: users.store,
    audit: audit.service,
    auditStore: audit.store,
    presenceStore: drivers.presence,
    presence: presence.service,
    counters,
    match: match.service,
    calls: calls.service,
    ledger: ledger.service,
    payments: payments.service,
    reconciliation: new ReconciliationService(payments.reconciliationStore),
    jobs,
    deadLetters: deadLetters.service,
    control: d.control,
    socketQuota: drivers.socketQuota,
  });
  const earnings = earningsModule({ db, options: config.earnings });
  const payouts = payoutsModule({ config, db, ledger: ledger.service, earnings: earnings.service, verification: verification.service, audit: audit.service, users: users.store, auth: auth.service, jobs, logger, notify: notifications.service, events });
  const reports = reportsModule({
    config,
    jwtSecret,
    db,
    users: users.store,
    auth: auth.service,
    ledger: ledger.service,
    realtime,
    audit: audit.service,
    auditStore: audit.store,
    limiter,
    notify: notifications.service,
    snapshots: {
      profile: async (viewer, id) => ({ reportedId: id, content: { profile: await profiles.service.publicProfile(viewer, id) } }),
      message: (viewer, id) => chat.service.reportSnapshot(viewer.userId, id),
      post: async (viewer, id) => {
        const post = await posts.service.get(viewer, id);
        return { reportedId: post.creatorId, content: { post } };
      },
      match_session: (viewer, id) => match.service.reportSnapshot(viewer.userId, id),
    },
    removals: {
      message: (id, content, senderId) => chat.changes.removeAsModerator({ conversationId: String(content.conversationId), messageId: id, senderId }),
      post: (id, _content, creatorId) => posts.service.removeAsModerator(creatorId, id),
      // A reported profile's content: its pictures and its bio (the owner's own calls, as the owner would clear them).
      profile: async (_id, _content, userId) => {
        await profiles.service.setPhotos(userId, { photos: [], avatar: null, cover: null });
        await profiles.service.update(userId, { bio: '' });
      },
    },
    ban: {
      freezePayouts: (userId, adminId) => payouts.service.freeze(userId, adminId),
      refundSubscribers: (creatorId) => creators.subscriptions.stopForBan(creatorId),
    },
  });
  const erasure = erasureModule({
    config,
    db,
    jobs,
    logger,
    users: users.store,
    auth: auth.service,
    risk: risk.service,
    notify: notifications.service,
    profiles: profiles.service,
    media: media.service,
    subscriptions: creators.subscriptions,
    audit: audit.service,
    chat: chat.service,
    ledger: ledger.service,
    mail: mail.service,
    posts: posts.feed,
    payments: payments.service,
  });
  const system = systemModule({ nodeId: config.nodeId, auth: auth.service });
  const consoles = consolesModule({ config, logger, auth: auth.service, jobs, redis: drivers.redis, deadLetters: deadLetters.service, payments: payments.service, ledger: ledger.service });

  // Mounted, registered and started in this order (stopped in reverse).
  // analytics early: stopped late, so what the modules stopped before it record is still flushed.
  const list: Module[] = [system, analytics, mail, risk, notifications, auth, users, ledger, payments, chat, safety, profiles, presence, match, rooms, calls, media, verification, creators, posts, deadLetters, admin, audit, earnings, massMessages, payouts, reports, moderation, erasure, consoles];
  return {
    list,
    /** The services the composition root wires by hand (guards, re-seeding after a Redis loss) and tests reach into. */
    auth: auth.service,
    users: users.store,
    ledger: ledger.service,
    ledgerStore: ledger.store,
    payments: payments.service,
    risk: risk.service,
    paymentsStore: payments.store,
    providers: payments.providers,
    calls: calls.service,
    callsMetering: calls.metering,
    chat: chat.service,
    typingTracked: chat.typingTracked,
    presence: presence.service,
    match: match.service,
    profiles: profiles.service,
    media: media.service,
    moderation: moderation.service,
    deadLetters: deadLetters.service,
    verification: verification.service,
    creators: creators.service,
    subscriptions: creators.subscriptions,
    posts: posts.service,
    feed: posts.feed,
    earnings: earnings.service,
    massMessages: massMessages.service,
    payouts: payouts.service,
    deletion: erasure.deletion,
    exports: erasure.exports,
    notifications: notifications.service,
    analytics: analytics.service,
    analyticsRecorder: analytics.recorder,
  };
}

export type Modules = ReturnType<typeof createModules>;

/** Every module's job handlers in one map (the same under BullMQ and inline); a job nobody handles is a start-up error. */
export function jobHandlersOf(modules: Module[]): JobHandlers {
  const handlers = Object.assign({}, ...modules.map((m) => m.jobs ?? {})) as Partial<JobHandlers>;
  const missing = JOB_NAMES.filter((name) => !handlers[name]);
  if (missing.length) throw new Error(`no module handles the jobs ${missing.join(', ')}`);
  return handlers as JobHandlers;
}

export function schedulesOf(modules: Module[]): JobSchedule[] {
  return modules.flatMap((m) => m.schedules ?? []);
}
