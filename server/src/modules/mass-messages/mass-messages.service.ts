import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TextPolicy } from '../moderation/moderation.service.js';
import type { CreateMassMessageInput, MassAudience, MassMessageStats, MassMessageView } from '../../../../shared/mass-messages.js';
import type { MessageView } from '../../../../shared/chat.js';
import { pgError, type Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { ChatService } from '../chat/chat.service.js';
import type { NotifyEach } from '../notifications/notifications.service.js';
import type { MediaService } from '../media/media.service.js';
import type { MassMessageRow, MassMessagesStore } from './mass-messages.store.js';

export interface MassMessagesConfig {
  /** Recipients per transaction. */
  batch: number;
  /** At most this many recipients a second per mass message (0: no cap): the rest of the time is other users'. */
  perSecond: number;
  /** How often mass messages whose job was lost are looked for (and how long untouched counts as lost). */
  sweepSeconds: number;
}

/** setTimeout's ceiling: a later send fires early, finds it not due, and the sweep takes it when it is. */
const MAX_DELAY_MS = 2_147_483_647;

/** The rest after a batch of `n` recipients that took `busyMs`, so the delivery keeps under `perSecond`. */
export function massPauseMs(n: number, busyMs: number, perSecond: number): number {
  if (perSecond <= 0 || n <= 0) return 0;
  return Math.max(0, (n * 1000) / perSecond - busyMs);
}

const EMPTY: MassMessageStats = { sent: 0, read: 0, unlocked: 0, revenue: 0 };

/**
 * Stats are read from every recipient's copy (and the ledger), 10–40 µs a recipient (3.7 s for 100,000 on a busy machine). The list reads them
 * afresh for mass messages up to this size; bigger ones show what was read less than STATS_TTL_MS ago, and
 * at most STATS_REFRESH_MAX of them are read again per page. One mass message (GET /:id) is always fresh.
 */
const STATS_EXACT_MAX = 5_000;
const STATS_TTL_MS = 60_000;
const STATS_REFRESH_MAX = 2;

/**
 * Mass messages: created by a creator, delivered by a job in batches. Each batch is one transaction under
 * the mass message's delivery lock: the next page of the audience (by user id), the recipients it reaches
 * recorded (unique per mass message and recipient), their copies written by chat in a few multi-row
 * statements, and the cursor moved. A run killed mid-batch leaves nothing of that batch; a second run
 * waits on the lock and continues where the first stopped; a recipient row that exists already gets no
 * second copy. Cancelling flips the status at once (a batch in flight does not hold the row); the next
 * batch reads it and stops.
 */
export class MassMessagesService {
  constructor(
    private readonly d: {
      db: Database;
      store: MassMessagesStore;
      chat: Pick<ChatService, 'deliverManyIn' | 'pushDelivered'>;
      media: Pick<MediaService, 'requireOwned'>;
      realtime: Realtime;
      jobs: JobQueue;
      logger: Logger;
      config: MassMessagesConfig;
      /** Refuses a creator who may not sell yet (verification's; bound late). */
      paidContent?: (creatorId: string) => Promise<void>;
      /** Trust and safety's text step: the text goes out with profanity masked (absent in tests that build the service by hand). */
      text?: TextPolicy;
      /** Recipients up to which the list reads stats afresh (default STATS_EXACT_MAX). */
      statsExactMax?: number;
      /** Each batch's recipients are told (a `message` notification in their conversation, web push when offline). */
      notify?: NotifyEach;
      /** Fault injection for tests: runs inside each batch's transaction, after its copies are written. */
      inBatch?: (massMessageId: string, batch: number) => Promise<void>;
    },
  ) {}

  async audienceSize(creator: { userId: string; role: string }, audience: MassAudience, exclude: string[]): Promise<{ count: number }> {
    requireCreator(creator.role);
    return { count: await this.d.store.count(creator.userId, audience, exclude) };
  }

  async create(creator: { userId: string; role: string }, input: CreateMassMessageInput): Promise<{ massMessage: MassMessageView; created: boolean }> {
    requireCreator(creator.role);
    if (input.mediaId) await this.d.media.requireOwned(creator.userId, input.mediaId, ['message_attachment']);
    if (input.price > 0) await this.d.paidContent?.(creator.userId);
    const sendAt = input.sendAt ? new Date(input.sendAt) : new Date();
    const total = await this.d.store.count(creator.userId, input.audience, input.exclude);
    const { row, created } = await this.d.store.create({
      id: randomUUID(),
      creatorId: creator.userId,
      clientId: input.clientId,
      audience: input.audience,
      exclude: input.exclude,
      body: this.d.text ? this.d.text.masked(input.body) : input.body,
      mediaId: input.mediaId ?? null,
      price: input.price,
      status: 'scheduled',
      sendAt,
      total,
    });
    if (created) await this.enqueue(row.id, sendAt);
    return { massMessage: view(row, EMPTY), created };
  }

  private enqueue(id: string, at: Date, suffix = ''): Promise<void> {
    const delayMs = Math.min(MAX_DELAY_MS, Math.max(0, at.getTime() - Date.now()));
    return this.d.jobs.enqueue('mass-messages.deliver', { massMessageId: id }, { jobId: `mass:${id}:deliver${suffix}`, delayMs });
  }

  async cancel(creatorId: string, id: string): Promise<MassMessageView> {
    const row = await this.d.store.cancel(id, creatorId);
    if (!row) {
      const m = await this.d.store.get(id);
      if (!m || m.creator_id !== creatorId) throw new AppError('NOT_FOUND', 'no such mass message');
      throw new AppError('MASS_MESSAGE_FINISHED', `this mass message is already ${m.status}`, { details: { status: m.status } });
    }
    this.progress(row);
    return view(row, await this.freshStats(row.id));
  }

  private async freshStats(id: string): Promise<MassMessageStats> {
    const stats = await this.d.store.stats([id]);
    await this.d.store.saveStats(stats);
    return stats.get(id) ?? EMPTY;
  }

  async get(creatorId: string, id: string): Promise<MassMessageView> {
    const m = await this.d.store.get(id);
    if (!m || m.creator_id !== creatorId) throw new AppError('NOT_FOUND', 'no such mass message');
    return view(m, await this.freshStats(m.id));
  }

  async list(creatorId: string, before: string | undefined, limit: number): Promise<{ massMessages: MassMessageView[]; nextBefore: string | null }> {
    const rows = await this.d.store.list(creatorId, before, limit);
    const now = Date.now();
    const stale = (r: MassMessageRow) => !r.stats || !r.stats_at || now - r.stats_at.getTime() > STATS_TTL_MS;
    const exactMax = this.d.statsExactMax ?? STATS_EXACT_MAX;
    const small = rows.filter((r) => r.sent <= exactMax).map((r) => r.id);
    const big = rows.filter((r) => r.sent > exactMax && stale(r)).slice(0, STATS_REFRESH_MAX).map((r) => r.id);
    const [exact, refreshed] = await Promise.all([this.d.store.stats(small), this.d.store.stats(big)]);
    await this.d.store.saveStats(refreshed);
    const statsOf = (r: MassMessageRow) => exact.get(r.id) ?? refreshed.get(r.id) ?? r.stats ?? { ...EMPTY, sent: r.sent };
    const last = rows.at(-1);
    return { massMessages: rows.map((r) => view(r, statsOf(r))), nextBefore: rows.length === limit && last ? last.cursor_at : null };
  }

  /** The job: batch after batch from where it got to, until done, cancelled or not due. */
  async deliver(id: string): Promise<{ sent: number }> {
    const { batch, perSecond } = this.d.config;
    const m = await this.d.store.get(id);
    if (m?.status === 'scheduled' && m.send_at.getTime() <= Date.now()) {
      // Sent for later: the audience is counted again now. Sent now: the count made at creation stands (a
      // second count of 100,000 fans delays the first batch by seconds on a busy machine).
      const later = m.send_at.getTime() - m.created_at.getTime() > 60_000;
      await this.d.store.start(id, later ? await this.d.store.count(m.creator_id, m.audience, m.exclude) : m.total);
    }
    let sent = 0;
    for (let n = 0; ; n++) {
      const t0 = performance.now();
      const r = await this.batchWithRetry(id, batch, n);
      if (!r) break;
      sent += r.delivered.length;
      // After the commit: the fans' usual pushes, and the creator's progress.
      this.d.chat.pushDelivered(r.delivered);
      await this.notifyBatch(r.row.creator_id, r.delivered);
      this.progress(r.row);
      if (r.row.status !== 'sending') break;
      await sleep(massPauseMs(r.page, performance.now() - t0, perSecond));
    }
    return { sent };
  }

  /**
   * Best effort, after the batch's commit: its copies are delivered whatever happens here. Every recipient
   * gets the notification (a mass message is a broadcast, in the bell like a post, not only when offline as a
   * chat message is: one statement per batch costs less than asking presence first); those offline also
   * get a web push. Collapsed per conversation with the creator's other messages; the copy is the `ref`.
   */
  private async notifyBatch(creatorId: string, delivered: { recipientId: string; message: MessageView }[]): Promise<void> {
    if (!this.d.notify || delivered.length === 0) return;
    try {
      await this.d.notify.notifyEach(
        delivered.map((x) => ({ userId: x.recipientId, subject: x.message.conversationId, payload: { actorId: creatorId, link: `/chats/${x.message.conversationId}`, ref: x.message.id } })),
        'message',
      );
    } catch (err) {
      this.d.logger.warn({ err, creatorId, recipients: delivered.length }, 'mass-messages: a batch could not be notified');
    }
  }

  /** A batch that met a deadlock (its locks against a chat send's) is rolled back whole: run it again. */
  private async batchWithRetry(id: string, limit: number, n: number) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.batch(id, limit, n);
      } catch (err) {
        const code = pgError(err)?.code;
        if (attempt < 3 && (code === '40P01' || code === '40001')) continue;
        throw err;
      }
    }
  }

  private batch(id: string, limit: number, n: number) {
    return this.d.db.transaction(async (tx) => {
      const m = await this.d.store.lock(tx, id);
      if (!m || m.status !== 'sending') return undefined;
      const page = await this.d.store.page(tx, m, limit);
      const wanted = page.filter((p) => !p.excluded).map((p) => ({ userId: p.user_id, messageId: randomUUID() }));
      const fresh = await this.d.store.claim(tx, id, wanted);
      const delivered = await this.d.chat.deliverManyIn(tx, {
        senderId: m.creator_id,
        body: m.body,
        attachment: m.media_id ? { mediaId: m.media_id, price: m.price } : null,
        recipients: fresh,
      });
      await this.d.inBatch?.(id, n);
      const done = page.length < limit;
      const after = page.at(-1)?.user_id ?? m.after;
      const state = await this.d.store.advance(tx, id, after, delivered.length, done);
      return { delivered, page: page.length, row: { ...m, ...state } };
    });
  }

  private progress(m: Pick<MassMessageRow, 'id' | 'creator_id' | 'status' | 'sent' | 'total'>): void {
    this.d.realtime.toUsers([m.creator_id], 'mass-message:progress', { id: m.id, status: m.status, sent: m.sent, total: m.total });
  }

  /** The schedule: due mass messages untouched for a sweep period get their job again (it was lost). */
  async sweep(): Promise<number> {
    const stalled = await this.d.store.stalled(this.d.config.sweepSeconds, 100);
    const slot = Math.floor(Date.now() / (this.d.config.sweepSeconds * 1000));
    await Promise.all(stalled.map((id) => this.enqueue(id, new Date(), `:sweep:${slot}`)));
    if (stalled.length) this.d.logger.warn({ massMessages: stalled.length }, 'mass messages: deliveries re-queued by the sweep');
    return stalled.length;
  }
}

function requireCreator(role: string): void {
  if (role !== 'creator') throw new AppError('FORBIDDEN', 'only creators send mass messages');
}

function view(m: MassMessageRow, stats: MassMessageStats): MassMessageView {
  return {
    id: m.id,
    audience: m.audience,
    excludeCount: m.exclude.length,
    body: m.body,
    mediaId: m.media_id,
    price: m.price,
    status: m.status,
    total: m.total,
    sendAt: m.send_at.toISOString(),
    createdAt: m.created_at.toISOString(),
    finishedAt: m.finished_at ? m.finished_at.toISOString() : null,
    stats,
  };
}
