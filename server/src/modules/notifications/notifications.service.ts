import {
  defaultPreference,
  describeNotification,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  type NotificationChannel,
  type NotificationKind,
  type NotificationPayload,
  type NotificationPreference,
  type NotificationView,
  type PushSubscriptionInput,
} from '../../../../shared/notifications.js';
import { Batcher } from '../../batcher.js';
import { AppError } from '../../errors.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { MailService } from '../mail/mail.service.js';
import type { PresenceStore } from '../presence/presence.store.js';
import type { UsersStore } from '../users/users.store.js';
import type { NotificationRow, NotificationsStore } from './notifications.store.js';
import type { WebPushSender } from './push.js';

/** Who a notification is about: its collapse key (a conversation, a creator, a call's caller). */
export interface NotifyInput {
  kind: NotificationKind;
  subject: string;
  payload?: NotificationPayload;
  /** Only when the user has no connected device (a chat message: an online user sees it in the chat already). */
  ifOffline?: boolean;
  /** The caller mailed the user about this already (auth's new-device mail): no immediate mail from here. */
  mailed?: boolean;
}

/** What other modules are given: tell a user, without waiting (failures are logged by the service). */
export type Notify = Pick<NotificationService, 'notifyLater'>;
export type NotifyMany = Pick<NotificationService, 'notifyMany'>;
export type NotifyEach = Pick<NotificationService, 'notifyEach'>;

export interface NotificationsOptions {
  collapseSeconds: number;
  keep: number;
  /** Accept http:// push endpoints (a local push service). */
  pushHttpEndpoints: boolean;
}

/**
 * Presence look-ups wait this long for others: a chat message to an offline user asks presence whether the
 * recipient is connected, and on a busy node the messages of one window are asked about in one Redis read.
 */
const PRESENCE_WINDOW_MS = 10;

/** Sent by mail at once rather than in the digest: the user may need to act now. */
const IMMEDIATE_MAIL: ReadonlySet<NotificationKind> = new Set(['security']);

export function toNotificationView(r: NotificationRow): NotificationView {
  return {
    id: r.id,
    kind: r.kind,
    count: r.count,
    payload: r.payload,
    text: describeNotification(r.kind, r.count, r.payload),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    readAt: r.read_at?.toISOString() ?? null,
  };
}

const encodeCursor = (r: NotificationRow) => Buffer.from(`${r.updated_at.toISOString()}|${r.id}`).toString('base64url');
function decodeCursor(c: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(c, 'base64url').toString().split('|');
  const date = new Date(at ?? '');
  if (!id || Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) throw new AppError('VALIDATION_FAILED', 'before: not a cursor this list gave');
  return { at: date, id };
}

/**
 * The one way modules tell a user something happened. `notify` stores it (collapsed with the
 * same kind and subject within NOTIFY_COLLAPSE_SECONDS), pushes `notification:new` to every device
 * on every node, queues a web push for an offline user, and mails security events at once; the rest
 * reaches mail through the digest job. Callers on hot paths use `notifyLater`: nothing is awaited.
 */
export class NotificationService {
  constructor(
    private readonly d: {
      store: NotificationsStore;
      realtime: Realtime;
      presence: Pick<PresenceStore, 'statuses'>;
      users: Pick<UsersStore, 'findById' | 'summaries'>;
      mail: Pick<MailService, 'send' | 'link'>;
      jobs: Pick<JobQueue, 'enqueue'>;
      logger: Logger;
      push: WebPushSender | null;
      options: NotificationsOptions;
    },
  ) {}

  /** Is a user connected anywhere: asked of presence together with every other user asked in the same window. */
  private readonly presenceReads = new Batcher<string, boolean>(
    async (ids) => {
      const statuses = await this.d.presence.statuses([...new Set(ids)]);
      return ids.map((id) => ({ ok: true as const, value: (statuses.get(id)?.status ?? 'offline') !== 'offline' }));
    },
    { windowMs: PRESENCE_WINDOW_MS, maxItems: 500, maxConcurrent: 2 },
  );

  /** Account erasure: what was said to the user, their choices and their browsers' push addresses go. */
  forget(userId: string): Promise<void> {
    return this.d.store.forget(userId);
  }

  /** For hot paths (a chat send, a fan-out batch): runs after the caller's answer, failures only logged. */
  notifyLater(userId: string, input: NotifyInput): void {
    void this.notify(userId, input).catch((err: unknown) => this.d.logger.warn({ err, userId, kind: input.kind }, 'a notification could not be recorded'));
  }

  /** The stored notification, or null when nothing was stored (the user is online and `ifOffline`, or turned the kind off in-app). */
  async notify(userId: string, input: NotifyInput): Promise<NotificationView | null> {
    const online = await this.isOnline(userId);
    if (input.ifOffline && online) return null;
    const prefs = await this.channelsOf(userId, input.kind);
    const payload = await this.withActorName(input.payload ?? {});
    if (!prefs.in_app) {
      if (prefs.email && IMMEDIATE_MAIL.has(input.kind) && !input.mailed) await this.mailNow(userId, null, input.kind, payload);
      return null;
    }
    const row = await this.d.store.record(userId, input.kind, input.subject, payload, this.d.options.collapseSeconds);
    // The same event again (its ref): counted once already.
    if (!row) return null;
    if (row.count === 1) await this.d.store.prune(userId, this.d.options.keep);
    const view = toNotificationView(row);
    this.d.realtime.toUser(userId, 'notification:new', { notification: view, unread: await this.d.store.unreadCount(userId) });
    if (prefs.push && !online && this.d.push) {
      await this.d.jobs.enqueue('notifications.push', { notificationId: row.id, count: row.count }, { jobId: `push:${row.id}:${row.count}` });
    }
    if (prefs.email && IMMEDIATE_MAIL.has(input.kind)) {
      if (!input.mailed) await this.mailNow(userId, row, input.kind, payload);
      await this.d.store.markEmailed([row.id]);
    }
    return view;
  }

  /**
   * One event for a crowd (a post to a creator's audience, one fan-out batch at a time): one statement per
   * batch, collapsed per subject, pushed live; no push or immediate mail (the digest carries it).
   */
  async notifyMany(userIds: string[], input: Omit<NotifyInput, 'ifOffline' | 'mailed'>): Promise<number> {
    if (userIds.length === 0) return 0;
    const rows = await this.d.store.recordMany(userIds, input.kind, input.subject, await this.withActorName(input.payload ?? {}));
    for (const r of rows) this.d.realtime.toUser(r.user_id, 'notification:new', { notification: toNotificationView(r), unread: Number(r.unread) });
    return rows.length;
  }

  /**
   * One event for each of many users, each about their own subject (a mass message: every copy is in the
   * recipient's own conversation): one statement for the batch, collapsed per user and subject, pushed live
   * to every connected device; then one presence read for the whole batch, and a web push queued for each
   * recipient with no connected device who has not turned push off for the kind. No immediate mail.
   */
  async notifyEach(items: { userId: string; subject: string; payload: NotificationPayload }[], kind: NotificationKind): Promise<{ stored: number; pushes: number }> {
    if (items.length === 0) return { stored: 0, pushes: 0 };
    const actors = [...new Set(items.flatMap((i) => (i.payload.actorId && !i.payload.actorName ? [i.payload.actorId] : [])))];
    const names = new Map((actors.length ? await this.d.users.summaries(actors) : []).map((u) => [u.id, u.display_name]));
    const named = items.map((i) => (i.payload.actorId && names.has(i.payload.actorId) ? { ...i, payload: { ...i.payload, actorName: names.get(i.payload.actorId) } } : i));
    const rows = await this.d.store.recordEach(named, kind);
    for (const r of rows) this.d.realtime.toUser(r.user_id, 'notification:new', { notification: toNotificationView(r), unread: Number(r.unread) });
    // A kind pushed only to those who turned push on (likes) is not pushed in batches: only opt-outs are read here.
    if (!this.d.push || rows.length === 0 || !defaultPreference(kind, 'push')) return { stored: rows.length, pushes: 0 };
    const users = rows.map((r) => r.user_id);
    const [statuses, off] = await Promise.all([this.d.presence.statuses(users), this.d.store.turnedOff(users, kind, 'push')]);
    const offline = rows.filter((r) => (statuses.get(r.user_id)?.status ?? 'offline') === 'offline' && !off.has(r.user_id));
    await Promise.all(offline.map((r) => this.d.jobs.enqueue('notifications.push', { notificationId: r.id, count: r.count }, { jobId: `push:${r.id}:${r.count}` })));
    return { stored: rows.length, pushes: offline.length };
  }

  async list(userId: string, q: { before?: string; limit: number; unread?: 'true' | 'false' }): Promise<{ notifications: NotificationView[]; unread: number; nextCursor: string | null }> {
    const rows = await this.d.store.list(userId, { before: q.before ? decodeCursor(q.before) : undefined, limit: q.limit, unreadOnly: q.unread === 'true' });
    const last = rows.length === q.limit ? rows[rows.length - 1] : undefined;
    return { notifications: rows.map(toNotificationView), unread: await this.d.store.unreadCount(userId), nextCursor: last ? encodeCursor(last) : null };
  }

  unreadCount(userId: string): Promise<number> {
    return this.d.store.unreadCount(userId);
  }

  async markRead(userId: string, id: string): Promise<{ unread: number }> {
    if (!(await this.d.store.markRead(userId, id))) throw new AppError('NOT_FOUND', 'no such notification');
    return this.pushUnread(userId, id);
  }

  async markAllRead(userId: string): Promise<{ unread: number }> {
    await this.d.store.markAllRead(userId);
    return this.pushUnread(userId, null);
  }

  private async pushUnread(userId: string, id: string | null): Promise<{ unread: number }> {
    const unread = await this.d.store.unreadCount(userId);
    this.d.realtime.toUser(userId, 'notification:read', { id, unread });
    return { unread };
  }

  /** Every kind × channel, stored choices over the defaults. */
  async preferences(userId: string): Promise<NotificationPreference[]> {
    const stored = new Map((await this.d.store.preferences(userId)).map((p) => [`${p.kind}:${p.channel}`, p.enabled]));
    return NOTIFICATION_KINDS.flatMap((kind) =>
      NOTIFICATION_CHANNELS.map((channel) => ({ kind, channel, enabled: stored.get(`${kind}:${channel}`) ?? defaultPreference(kind, channel) })),
    );
  }

  async setPreferences(userId: string, prefs: NotificationPreference[]): Promise<NotificationPreference[]> {
    // One row per kind and channel: a list naming one twice means its last word (one upsert cannot touch a row twice).
    const last = new Map(prefs.map((p) => [`${p.kind}:${p.channel}`, p]));
    await this.d.store.setPreferences(userId, [...last.values()]);
    return this.preferences(userId);
  }

  private async channelsOf(userId: string, kind: NotificationKind): Promise<Record<NotificationChannel, boolean>> {
    const stored = await this.d.store.preferencesOf(userId, kind);
    const on = (c: NotificationChannel) => stored.get(c) ?? defaultPreference(kind, c);
    return { in_app: on('in_app'), email: on('email'), push: on('push') };
  }

  /** Callers on hot paths pass only the actor's id; the name is looked up here, after the offline check. */
  private async withActorName(p: NotificationPayload): Promise<NotificationPayload> {
    if (!p.actorId || p.actorName) return p;
    const [who] = await this.d.users.summaries([p.actorId]);
    return who ? { ...p, actorName: who.display_name } : p;
  }

  private isOnline(userId: string): Promise<boolean> {
    // A socket of theirs on this node settles it (the recipient of a chat message often is): no Redis read.
    if (this.d.realtime.connectedHere?.(userId)) return Promise.resolve(true);
    return this.presenceReads.submit(userId);
  }

  /** The VAPID public key browsers subscribe with. */
  pushKey(): { publicKey: string } {
    if (!this.d.push) throw new AppError('PUSH_UNAVAILABLE', 'web push is not set up on this server (VAPID keys)');
    return { publicKey: this.d.push.publicKey };
  }

  async subscribePush(userId: string, s: PushSubscriptionInput): Promise<void> {
    this.pushKey();
    if (new URL(s.endpoint).protocol !== 'https:' && !this.d.options.pushHttpEndpoints) throw new AppError('VALIDATION_FAILED', 'endpoint: push services are reached over https');
    await this.d.store.addPushSubscription({ endpoint: s.endpoint, user_id: userId, p256dh: s.keys.p256dh, auth: s.keys.auth });
  }

  async unsubscribePush(userId: string, endpoint: string): Promise<void> {
    if (!(await this.d.store.removePushSubscription(userId, endpoint))) throw new AppError('NOT_FOUND', 'no such push subscription of yours');
  }

  /** The push job: the notification as it is now, to each of the user's browsers; gone subscriptions are dropped. */
  async deliverPush(notificationId: string): Promise<void> {
    const push = this.d.push;
    const row = await this.d.store.byId(notificationId);
    // Read meanwhile (or pruned): nothing to tell.
    if (!push || !row || row.read_at) return;
    const message = {
      id: row.id,
      kind: row.kind,
      title: 'Pairly',
      body: describeNotification(row.kind, row.count, row.payload),
      link: row.payload.link ?? '/notifications',
    };
    const failures: unknown[] = [];
    for (const target of await this.d.store.pushSubscriptions(row.user_id)) {
      try {
        if ((await push.send(target, message)) === 'gone') await this.d.store.dropPushEndpoint(target.endpoint);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length) throw new Error(`web push failed for ${failures.length} subscription(s): ${String(failures[0])}`);
  }

  /** A security event's mail, keyed by the notification and its count (a retried job sends it once). */
  private async mailNow(userId: string, row: NotificationRow | null, kind: NotificationKind, payload: NotificationPayload): Promise<void> {
    const user = await this.d.users.findById(userId);
    if (!user || user.status === 'deleted') return;
    const text = describeNotification(kind, row?.count ?? 1, payload);
    await this.d.mail.send(`notify:${row ? `${row.id}:${row.count}` : `${kind}:${userId}:${Date.now()}`}`, user.email, {
      subject: `Pairly: ${text}`,
      paragraphs: [text, 'If this was not you, change your password and sign out your other sessions.'],
      links: [{ label: 'Open Pairly', url: this.d.mail.link(payload.link ?? '/notifications') }],
    });
  }

  /** The digest job: one mail per user offline past `afterSeconds` with unread, unmailed notifications (of kinds they get by mail). */
  async sendDigests(afterSeconds: number, batch = 200): Promise<number> {
    const before = new Date(Date.now() - afterSeconds * 1000);
    const candidates = await this.d.store.digestCandidates(before, batch);
    const statuses = await this.d.presence.statuses(candidates);
    let mailed = 0;
    for (const userId of candidates) {
      const s = statuses.get(userId);
      // Online, or back within the window: they will see the bell.
      if (s && (s.status !== 'offline' || (s.lastSeen !== null && s.lastSeen > before.getTime()))) continue;
      if (await this.digestOne(userId)) mailed++;
    }
    return mailed;
  }

  private async digestOne(userId: string): Promise<boolean> {
    const rows = await this.d.store.pendingForDigest(userId, 50);
    const prefs = new Map((await this.preferences(userId)).filter((p) => p.channel === 'email').map((p) => [p.kind, p.enabled]));
    const wanted = rows.filter((r) => prefs.get(r.kind));
    const user = await this.d.users.findById(userId);
    if (wanted.length && user && user.status === 'active') {
      const newest = wanted[0]!.updated_at.getTime();
      await this.d.mail.send(`digest:${userId}:${newest}`, user.email, {
        subject: wanted.length === 1 ? `Pairly: ${describeNotification(wanted[0]!.kind, wanted[0]!.count, wanted[0]!.payload)}` : `Pairly: ${wanted.length} things happened while you were away`,
        paragraphs: ['While you were away:', ...wanted.map((r) => `• ${describeNotification(r.kind, r.count, r.payload)}`)],
        links: [{ label: 'Open Pairly', url: this.d.mail.link('/notifications') }],
      });
    }
    // Those not wanted by mail are marked too: the next digest is not the same scan again.
    await this.d.store.markEmailed(rows.map((r) => r.id));
    return wanted.length > 0 && !!user;
  }
}
