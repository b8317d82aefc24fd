import type { NotifyMany } from '../notifications/notifications.service.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PostView } from '../../../../shared/posts.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { MediaService } from '../media/media.service.js';
import type { Viewer } from '../media/media.views.js';
import { START, type PostsStore } from './posts.store.js';
import { SEARCH_MAX_OFFSET } from '../../../../shared/input.js';
import { decodeCursor, decodeOffsetCursor, encodeCursor, encodeOffsetCursor, postViews } from './posts.views.js';

export interface FeedConfig {
  /** Creators with an audience below this get fan-out on write; at or above it, merge on read. */
  fanoutMax: number;
  /** Feed rows written per transaction. */
  fanoutBatch: number;
  /** Share (1–100 %) of a fan-out's wall time spent writing: after each batch it rests in proportion (fanoutPauseMs). */
  fanoutDutyPercent: number;
  /** Posts a new follower's feed gets from the creator's latest. */
  backfillPosts: number;
  /** How often the sweep looks for fan-outs whose job was lost. */
  sweepSeconds: number;
}

/** The longest rest between two batches, whatever the last one cost. */
const MAX_PAUSE_MS = 5_000;

/**
 * The rest after a fan-out batch that kept the database busy `busyMs`, so that writing takes `dutyPercent` of
 * the fan-out's time. The rest scales with the batch's cost, so a slow or loaded database gets longer breaks
 * without a per-machine setting; 100 means none.
 */
export function fanoutPauseMs(busyMs: number, dutyPercent: number): number {
  if (dutyPercent >= 100 || !(busyMs > 0)) return 0;
  return Math.min(MAX_PAUSE_MS, (busyMs * (100 - dutyPercent)) / Math.max(1, dutyPercent));
}

/** setTimeout's ceiling (the inline driver's timers): a later post's job fires early, finds it not due, and the sweep takes it. */
const MAX_DELAY_MS = 2_147_483_647;

/**
 * The feed. Fan-out on write: when a post is published, a job writes a feed_items row for each member of the
 * creator's audience (creator_audience, paged by user_id in batches, each its own short transaction; the post
 * remembers how far it got, so a retry resumes). A creator whose audience is FEED_FANOUT_MAX or more is
 * recorded as big instead (their posts' job then only tells their subscribers), and their posts are merged in on read (the reader's big creators' latest posts,
 * each one index range). Every read joins the post again and re-checks access, so a delete or a visibility
 * change shows at once, and an unfollowed creator's rows drop out.
 */
export class FeedService {
  constructor(
    private readonly d: {
      store: PostsStore;
      media: Pick<MediaService, 'grantedViews'>;
      jobs: JobQueue;
      logger: Logger;
      config: FeedConfig;
      /** Each batch's audience is told of the post: one notification per follower and creator, collapsed ("3 new posts from Ann"). */
      notify?: NotifyMany;
    },
  ) {}

  scheduleFanout(postId: string, at: Date): Promise<void> {
    const delayMs = Math.min(MAX_DELAY_MS, Math.max(0, at.getTime() - Date.now()));
    return this.d.jobs.enqueue('posts.fan-out', { postId }, { jobId: `post:${postId}:fanout`, delayMs });
  }

  /** The job: one post's fan-out, batch after batch from where it got to. Idempotent (rows are keyed). */
  async fanout(postId: string): Promise<{ written: number; merged: boolean }> {
    const post = await this.d.store.fanoutState(postId);
    if (!post || post.done || !post.due) return { written: 0, merged: false };
    if (post.deleted) {
      await this.d.store.fanoutDone(postId);
      return { written: 0, merged: false };
    }
    const { fanoutMax, fanoutBatch, fanoutDutyPercent } = this.d.config;
    if ((await this.d.store.isBig(post.creator_id)) || (await this.d.store.audienceUpTo(post.creator_id, fanoutMax)) >= fanoutMax) {
      await this.d.store.markBig(post.creator_id, fanoutMax);
      await this.noticeSubscribers(postId, post.creator_id, post.after);
      return { written: 0, merged: true };
    }
    let after = post.after;
    let written = 0;
    for (;;) {
      const t0 = performance.now();
      const r = await this.d.store.fanoutBatch({ id: postId, creator_id: post.creator_id, published_at: post.published_at }, after, fanoutBatch);
      written += r.n;
      await this.notifyBatch(r.users, post.creator_id, postId);
      if (r.n < fanoutBatch) break;
      after = r.last;
      // Batches back to back hold a database core for the whole fan-out, and on a small machine other users'
      // chat sends queue behind them (BENCHMARKS.md, "The fan-out beside chat"): rest between batches.
      await sleep(fanoutPauseMs(performance.now() - t0, fanoutDutyPercent));
    }
    return { written, merged: false };
  }

  /**
   * A big creator's post writes no feed rows (merged on read), but their subscribers are still told: the same
   * job pages them (FEED_FANOUT_BATCH at a time, resting between batches like a fan-out) and notifies each
   * batch in one statement, collapsed per creator. Followers who do not subscribe are not told: a big
   * creator's followers are the crowd fan-out was spared. Progress is the post's fan-out position, saved
   * after each batch is told: a retry resumes there, and a batch told twice (a crash in between) carries the
   * post as its `ref`, so it is not counted twice.
   */
  private async noticeSubscribers(postId: string, creatorId: string, from: string | null): Promise<void> {
    const { fanoutBatch, fanoutDutyPercent } = this.d.config;
    let after = from;
    for (;;) {
      const t0 = performance.now();
      const users = await this.d.store.subscribersAfter(creatorId, after, fanoutBatch);
      await this.notifyBatch(users, creatorId, postId);
      const done = users.length < fanoutBatch;
      await this.d.store.noticeProgress(postId, users.at(-1) ?? null, done);
      if (done) return;
      after = users.at(-1)!;
      await sleep(fanoutPauseMs(performance.now() - t0, fanoutDutyPercent));
    }
  }

  /** Best effort: the feed rows are written; a failed notification is logged, never a failed fan-out. */
  private async notifyBatch(userIds: string[], creatorId: string, postId: string): Promise<void> {
    try {
      await this.d.notify?.notifyMany(userIds, { kind: 'new_post', subject: creatorId, payload: { actorId: creatorId, ref: postId, link: '/feed' } });
    } catch (err) {
      this.d.logger.warn({ err, postId }, 'posts: a fan-out batch could not be notified');
    }
  }

  /** The schedule: published posts whose fan-out has not finished five minutes after they were due get their job again. */
  async sweep(): Promise<number> {
    const stalled = await this.d.store.stalledFanouts(300, 500);
    const slot = Math.floor(Date.now() / (this.d.config.sweepSeconds * 1000));
    // A job id of its own per sweep: the first job's id may still be held by its finished (or early) run.
    await Promise.all(stalled.map((postId) => this.d.jobs.enqueue('posts.fan-out', { postId }, { jobId: `post:${postId}:fanout:sweep:${slot}` })));
    if (stalled.length) this.d.logger.warn({ posts: stalled.length }, 'posts: fan-outs re-queued by the sweep');
    return stalled.length;
  }

  /**
   * A new follower (or subscriber) gets the creator's latest posts in their feed. For the creators module to
   * call when someone follows; big creators need nothing (merged on read).
   */
  async backfill(userId: string, creatorId: string): Promise<number> {
    if (await this.d.store.isBig(creatorId)) return 0;
    return this.d.store.backfill(userId, creatorId, this.d.config.backfillPosts);
  }

  /**
   * A page of the reader's feed, newest first; nextCursor continues strictly after this page's last candidate,
   * so posts published while the reader pages appear above the first page, never twice and never skipping
   * one. A page may hold fewer than `limit` posts (some rows no longer shown) and still have a next one.
   */
  async feed(viewer: Viewer, cursor: string | undefined, limit: number): Promise<{ posts: PostView[]; nextCursor: string | null }> {
    const candidates = await this.d.store.feedPage(viewer.userId, cursor ? decodeCursor(cursor) : START, limit);
    const shown = candidates.filter((c) => c.shown).map((c) => c.post_id);
    const posts = await postViews(viewer, shown, await this.d.store.rows(viewer.userId, shown), this.d.media);
    const last = candidates.at(-1);
    return { posts, nextCursor: candidates.length === limit && last ? encodeCursor({ at: last.at, id: last.post_id }) : null };
  }

  /** One creator's posts: pinned first on page 1, then newest first (locked ones included, with their price). */
  async creatorPosts(viewer: Viewer, creatorId: string, cursor: string | undefined, limit: number): Promise<{ posts: PostView[]; nextCursor: string | null }> {
    const all = viewer.role === 'admin' || viewer.userId === creatorId;
    const pinned = cursor ? [] : await this.d.store.pinned(creatorId, all);
    const page = await this.d.store.creatorPage(creatorId, cursor ? decodeCursor(cursor) : START, limit, all);
    const ids = [...pinned, ...page.map((p) => p.post_id)];
    const posts = await postViews(viewer, ids, await this.d.store.rows(viewer.userId, ids), this.d.media);
    const last = page.at(-1);
    return { posts, nextCursor: page.length === limit && last ? encodeCursor({ at: last.at, id: last.post_id }) : null };
  }

  async bookmarks(viewer: Viewer, cursor: string | undefined, limit: number): Promise<{ posts: PostView[]; nextCursor: string | null }> {
    const page = await this.d.store.bookmarks(viewer.userId, cursor ? decodeCursor(cursor) : START, limit);
    const ids = page.map((b) => b.post_id);
    const posts = await postViews(viewer, ids, await this.d.store.rows(viewer.userId, ids), this.d.media);
    const last = page.at(-1);
    return { posts, nextCursor: page.length === limit && last ? encodeCursor({ at: last.at, id: last.post_id }) : null };
  }

  /** Search: posts the viewer can read in full whose text matches, best first (a locked post's text never shows through a match). */
  async search(viewer: Viewer, text: string, cursor: string | undefined, limit: number): Promise<{ posts: PostView[]; nextCursor: string | null }> {
    const offset = cursor ? decodeOffsetCursor(cursor) : 0;
    const ids = await this.d.store.search(viewer.userId, text, offset, limit);
    const posts = (await postViews(viewer, ids, await this.d.store.rows(viewer.userId, ids), this.d.media)).filter((p) => !p.locked);
    return { posts, nextCursor: ids.length === limit && offset + limit < SEARCH_MAX_OFFSET ? encodeOffsetCursor(offset + limit) : null };
  }
}
