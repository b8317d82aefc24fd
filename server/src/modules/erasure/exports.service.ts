import type { AuditService } from '../audit/audit.service.js';
import type { ExportView } from '../../../../shared/erasure.js';
import { AppError } from '../../errors.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Viewer } from '../media/media.views.js';
import type { ChatService } from '../chat/chat.service.js';
import type { SubscriptionsService } from '../creators/subscriptions.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { MediaService } from '../media/media.service.js';
import type { PaymentsService } from '../payments/payments.service.js';
import type { FeedService } from '../posts/posts.feed.js';
import type { ProfilesService } from '../profiles/profiles.service.js';
import { toPublicUser, type UsersStore } from '../users/users.store.js';
import { sweepJobId } from './deletion.service.js';
import type { ErasureStore, ExportRow } from './erasure.store.js';

/** One export a day per account: each one reads everything the account has. */
const EXPORT_EVERY_MS = 24 * 3_600_000;
/** Rows fetched per page while the archive is gathered. */
const PAGE = 100;
/** The posts list's own page ceiling (feedQuery's maximum). */
const EXPORT_POSTS_PAGE = 50;

const toView = (r: ExportRow): ExportView => ({
  id: r.id,
  requestedAt: r.requested_at.toISOString(),
  readyAt: r.ready_at?.toISOString() ?? null,
  expiresAt: r.expires_at.toISOString(),
});

/** Reads every page of a cursor-paged list: `page(cursor)` gives the items and the next cursor (null at the end). */
async function allPages<T, C>(page: (cursor: C | null) => Promise<{ items: T[]; next: C | null }>): Promise<T[]> {
  const all: T[] = [];
  for (let cursor: C | null = null; ; ) {
    const p = await page(cursor);
    all.push(...p.items);
    if (p.next === null || p.items.length === 0) return all;
    cursor = p.next;
  }
}

/**
 * Data export (#18): an archive of the account's own data, built by `account.export` and kept
 * ACCOUNT_EXPORT_TTL_DAYS for its owner alone. It holds what the account wrote and what is about it:
 * account, profile, answers, matches and likes, conversations with the account's own messages (not the
 * peers'), subscriptions, wallet balance and every ledger transfer of its wallet, its own posts (scheduled ones
 * too; those it deleted are gone for it) with the ids of their media, its payments, and the metadata of every
 * media item it uploaded. The archive is one JSON document, so files are not inside it: each media item names
 * where its owner gets fresh signed URLs (`download`). Each part is read through its owning module's service,
 * as the owner would see it.
 */
export class ExportsService {
  constructor(
    private readonly d: {
      store: ErasureStore;
      users: Pick<UsersStore, 'findById'>;
      profiles: Pick<ProfilesService, 'mine' | 'questions' | 'matches' | 'likes'>;
      chat: Pick<ChatService, 'list' | 'history'>;
      subscriptions: Pick<SubscriptionsService, 'mine'>;
      ledger: Pick<LedgerService, 'balance' | 'transactions'>;
      posts: Pick<FeedService, 'creatorPosts'>;
      payments: Pick<PaymentsService, 'listForUser'>;
      media: Pick<MediaService, 'ownedItems'>;
      mail: Pick<MailService, 'send' | 'link'>;
      jobs: Pick<JobQueue, 'enqueue'>;
      audit: Pick<AuditService, 'record'>;
      ttlDays: number;
    },
  ) {}

  async request(userId: string): Promise<ExportView> {
    const row = await this.d.store.insertUnlessSince(userId, new Date(Date.now() - EXPORT_EVERY_MS), this.d.ttlDays);
    if (!row) throw new AppError('RATE_LIMITED', 'one data export a day; try again tomorrow', { details: { retryAfterSeconds: EXPORT_EVERY_MS / 1000 } });
    await this.d.jobs.enqueue('account.export', { exportId: row.id }, { jobId: `export:${row.id}` });
    this.d.audit.record({ key: `export:${row.id}`, actorId: userId, action: 'account.export_requested', ip: null, meta: { exportId: row.id } });
    return toView(row);
  }

  async list(userId: string): Promise<ExportView[]> {
    return (await this.d.store.listOf(userId)).map(toView);
  }

  /** The archive, for its owner only (anyone else is told it does not exist). */
  async download(userId: string, id: string): Promise<{ filename: string; archive: unknown }> {
    const row = await this.d.store.get(id);
    if (row?.user_id !== userId) throw new AppError('NOT_FOUND', 'no such export');
    if (row.expires_at <= new Date()) throw new AppError('EXPORT_EXPIRED', 'this export has expired; ask for a new one');
    if (!row.ready_at) throw new AppError('EXPORT_NOT_READY', 'this export is still being prepared');
    return { filename: `pairly-export-${row.requested_at.toISOString().slice(0, 10)}.json`, archive: await this.d.store.archive(id) };
  }

  /** The job: gathers the archive and mails its owner. Built once: a repeated run finds it ready and stops. */
  async build(exportId: string): Promise<void> {
    const row = await this.d.store.get(exportId);
    if (!row || row.ready_at) return;
    const user = await this.d.users.findById(row.user_id);
    if (!user || user.status === 'deleted') return;
    const archive = await this.gather({ userId: user.id, role: user.role });
    if (!(await this.d.store.finish(exportId, { ...archive, account: toPublicUser(user), exportedAt: new Date().toISOString() }))) return;
    await this.d.mail.send(`export:${exportId}`, user.email, {
      subject: 'Your Pairly data export is ready',
      paragraphs: [
        'The copy of your Pairly data you asked for is ready.',
        `Download it from your settings, signed in, within ${this.d.ttlDays} days.`,
        'If you did not ask for it, change your password: someone signed in to your account asked.',
      ],
      links: [{ label: 'Open my settings', url: this.d.mail.link('/settings') }],
    });
  }

  /** Repairs lost export jobs (queued again) and drops expired archives; part of account.sweep. */
  async sweep(): Promise<{ requeued: number; dropped: number }> {
    const stale = await this.d.store.stale(PAGE);
    for (const exportId of stale) await this.d.jobs.enqueue('account.export', { exportId }, { jobId: sweepJobId(`export:${exportId}`) });
    return { requeued: stale.length, dropped: await this.d.store.dropExpired() };
  }

  private async gather(me: Viewer) {
    const { userId } = me;
    const profile = await this.d.profiles.mine(userId).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'NOT_FOUND') return null;
      throw err;
    });
    const conversations = await allPages(async (before: string | null) => {
      const rows = await this.d.chat.list(userId, before, PAGE);
      return { items: rows, next: rows.length === PAGE ? rows.at(-1)!.sort_at : null };
    });
    return {
      profile,
      answers: (await this.d.profiles.questions(userId)).filter((q) => q.mine !== null),
      matches: await allPages(async (c: string | null) => {
        const p = await this.d.profiles.matches(me, c ?? undefined, PAGE);
        return { items: p.matches, next: p.nextCursor };
      }),
      likes: await allPages(async (c: string | null) => {
        const p = await this.d.profiles.likes(me, c ?? undefined, PAGE);
        return { items: p.likes, next: p.nextCursor };
      }),
      conversations: await Promise.all(conversations.map(async (c) => ({ id: c.id, kind: c.kind, peerId: c.peer_id, peerName: c.peer_name, messages: await this.ownMessages(userId, c.id) }))),
      subscriptions: await this.d.subscriptions.mine(userId),
      wallet: await this.d.ledger.balance(userId),
      transfers: await allPages(async (beforeId: number | null) => {
        const rows = await this.d.ledger.transactions(userId, beforeId, PAGE);
        return { items: rows, next: rows.length === PAGE ? rows.at(-1)!.id : null };
      }),
      posts: (
        await allPages(async (cursor: string | null) => {
          const p = await this.d.posts.creatorPosts(me, userId, cursor ?? undefined, EXPORT_POSTS_PAGE);
          return { items: p.posts, next: p.nextCursor };
        })
      ).map(({ id, body, visibility, commentsEnabled, pinned, publishedAt, scheduled, likes, comments, createdAt, updatedAt, media }) => ({
        id, body, visibility, commentsEnabled, pinned, publishedAt, scheduled, likes, comments, createdAt, updatedAt, mediaIds: media.map((m) => m.id),
      })),
      payments: await allPages(async (before: Date | null) => {
        const rows = await this.d.payments.listForUser(userId, before ?? undefined, PAGE);
        return { items: rows, next: rows.length === PAGE ? new Date(rows.at(-1)!.createdAt) : null };
      }),
      media: await this.d.media.ownedItems(userId),
    };
  }

  /** The account's own messages in one conversation, oldest first (the peer's words are the peer's data). */
  private async ownMessages(userId: string, conversationId: string) {
    const all = await allPages(async (after: number | null) => {
      const p = await this.d.chat.history(userId, conversationId, { after: after ?? 0 }, PAGE);
      return { items: p.messages, next: p.next && 'after' in p.next ? p.next.after : null };
    });
    return all.filter((m) => m.senderId === userId);
  }
}
