import { randomUUID } from 'node:crypto';
import type { CommentView, CreatePostBody, PostView, UpdatePostBody } from '../../../../shared/posts.js';
import type { TextPolicy } from '../moderation/moderation.service.js';
import { POST_PINS_MAX } from '../../../../shared/posts.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { assertPriceShown } from '../../prices.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { MediaAccess, MediaService } from '../media/media.service.js';
import type { Viewer } from '../media/media.views.js';
import { postAccess, ppvPriceFor } from './posts.access.js';
import type { CommentRow, PostsStore } from './posts.store.js';
import { columnsOf, decodeCursor, encodeCursor, postView } from './posts.views.js';
import { START } from './posts.store.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

/** How far ahead a post may be scheduled. */
const SCHEDULE_MAX_MS = 366 * 86_400_000;

/**
 * Creators' posts: writing, editing, deleting and pinning them (their creator only), reading one (every read
 * goes through postAccess), pay-per-view unlocks, likes, comments and bookmarks. Publishing is lazy
 * (published_at <= now() in every read); the fan-out job (FeedService) is enqueued for the publishing time.
 */
export class PostsService {
  constructor(
    private readonly d: {
      db: Database;
      store: PostsStore;
      ledger: Pick<LedgerService, 'spend' | 'notify'>;
      media: Pick<MediaService, 'requireOwned' | 'grantedViews'>;
      /** Queues the post's fan-out for when it is published. */
      scheduleFanout: (postId: string, at: Date) => Promise<void>;
      /** Refuses a creator who may not sell yet (verification's hook, bound late): VERIFICATION_REQUIRED. */
      paidContent?: (creatorId: string) => Promise<void>;
      /** Trust and safety's text step: bodies and comments are stored with profanity masked. */
      text: TextPolicy;
      /** Product analytics events, recorded after the commit. */
      events?: EventRecorder;
    },
  ) {}

  async create(creator: Viewer, b: CreatePostBody): Promise<PostView> {
    if (creator.role !== 'creator') throw new AppError('FORBIDDEN', 'only creators can post');
    const now = Date.now();
    const at = b.publishAt ? new Date(b.publishAt) : new Date(now);
    if (at.getTime() > now + SCHEDULE_MAX_MS) throw new AppError('VALIDATION_FAILED', 'publishAt: at most a year ahead');
    // A time already past publishes now: a scheduled post never lands behind posts its readers have paged past.
    const publishedAt = at.getTime() < now ? new Date(now) : at;
    if (b.visibility.kind === 'ppv') await this.d.paidContent?.(creator.userId);
    for (const id of b.mediaIds) await this.d.media.requireOwned(creator.userId, id, ['post_media']);
    const id = randomUUID();
    const v = columnsOf(b.visibility);
    await this.d.db.transaction((tx) =>
      this.d.store.insert(tx, {
        id,
        creatorId: creator.userId,
        body: this.d.text.masked(b.body),
        visibility: v.kind,
        minTierRank: v.minTierRank,
        price: v.price,
        subscriberPrice: v.subscriberPrice,
        commentsEnabled: b.commentsEnabled,
        publishedAt,
        mediaIds: b.mediaIds,
      }),
    );
    // If this enqueue is lost the fan-out sweep finds the post (fanout_done_at is null).
    await this.d.scheduleFanout(id, publishedAt);
    return this.get(creator, id);
  }

  async get(viewer: Viewer, id: string): Promise<PostView> {
    const [row] = await this.d.store.rows(viewer.userId, [id]);
    const view = row && (await postView(viewer, row, this.d.media));
    if (!view) throw new AppError('NOT_FOUND', 'no such post');
    return view;
  }

  /**
   * An edit by the creator. The price (and who may see it) of a pay-per-view post is part of what its buyers
   * bought: once anyone has, a change of visibility is refused (PRICE_LOCKED). The row is locked against an
   * unlock in flight, which holds it FOR SHARE.
   */
  async update(viewer: Viewer, id: string, b: UpdatePostBody): Promise<PostView> {
    if (b.visibility?.kind === 'ppv') await this.d.paidContent?.(viewer.userId);
    await this.d.db.transaction(async (tx) => {
      const p = await this.d.store.lockOwn(tx, id, viewer.userId);
      if (!p || p.deleted) throw new AppError('NOT_FOUND', 'no such post of yours');
      if (b.visibility && p.visibility === 'ppv' && p.unlocks > 0) {
        throw new AppError('PRICE_LOCKED', 'someone bought this post: its price and visibility can no longer change');
      }
      await this.d.store.update(tx, id, { body: this.d.text.masked(b.body), commentsEnabled: b.commentsEnabled, visibility: b.visibility && columnsOf(b.visibility) });
    });
    return this.get(viewer, id);
  }

  /** Soft delete: gone for everyone but its buyers (and admins); feeds drop it on their next read. */
  async remove(viewer: Viewer, id: string): Promise<void> {
    await this.d.db.transaction(async (tx) => {
      const p = await this.d.store.lockOwn(tx, id, viewer.userId);
      if (!p || p.deleted) throw new AppError('NOT_FOUND', 'no such post of yours');
      await this.d.store.softDelete(tx, id);
    });
  }

  /** Trust and safety removes a reported post: its creator's soft delete; a post gone already stays gone. */
  async removeAsModerator(creatorId: string, id: string): Promise<void> {
    await this.d.db.transaction(async (tx) => {
      const p = await this.d.store.lockOwn(tx, id, creatorId);
      if (p && !p.deleted) await this.d.store.softDelete(tx, id);
    });
  }

  async pin(viewer: Viewer, id: string, on: boolean): Promise<PostView> {
    await this.d.db.transaction(async (tx) => {
      const pinned = await this.d.store.lockPins(tx, viewer.userId);
      const p = await this.d.store.lockOwn(tx, id, viewer.userId);
      if (!p || p.deleted) throw new AppError('NOT_FOUND', 'no such post of yours');
      const changed = await this.d.store.setPinned(tx, id, on);
      if (on && changed && pinned >= POST_PINS_MAX) {
        throw new AppError('PIN_LIMIT', `at most ${POST_PINS_MAX} pinned posts: unpin one first`, { details: { max: POST_PINS_MAX } });
      }
    });
    return this.get(viewer, id);
  }

  /**
   * Pay to see a pay-per-view post at the viewer's price (the subscriber price for subscribers), which the
   * client showed (expectedPrice). Once per buyer: the unlock row and the ledger transfer
   * `unlock:<post>:<buyer>` commit together, and a repeat, or a twin racing it, is a replay that charges
   * nothing. A post the viewer already sees in full needs no unlock and costs nothing.
   */
  async unlock(viewer: Viewer, id: string, expectedPrice: number | undefined): Promise<{ post: PostView; charged: number; replayed: boolean }> {
    const r = await this.d.db.transaction(async (tx) => {
      const p = await this.d.store.lockForUnlock(tx, viewer.userId, id);
      const access = p ? postAccess(viewer, p) : 'none';
      if (!p || access === 'none') throw new AppError('NOT_FOUND', 'no such post');
      if (p.paid !== null) return { charged: p.paid, replayed: true, creatorId: p.creator_id };
      if (access === 'full') {
        assertPriceShown(expectedPrice, 0);
        return { charged: 0, replayed: false, creatorId: p.creator_id };
      }
      if (p.visibility !== 'ppv') throw new AppError('FORBIDDEN', p.visibility === 'tier' ? 'this post is for subscribers of a higher tier' : 'this post is for followers');
      const price = ppvPriceFor(viewer, p);
      assertPriceShown(expectedPrice, price);
      if (!(await this.d.store.recordUnlock(tx, id, viewer.userId, price))) return { charged: price, replayed: true, creatorId: p.creator_id };
      await this.d.ledger.spend({ key: `unlock:${id}:${viewer.userId}`, fromUserId: viewer.userId, toUserId: p.creator_id, amount: price, kind: 'post_unlock', metadata: { postId: id } }, tx);
      return { charged: price, replayed: false, creatorId: p.creator_id };
    });
    if (!r.replayed && r.charged > 0) this.d.ledger.notify([viewer.userId, r.creatorId]);
    if (!r.replayed && r.charged > 0) this.d.events?.record('unlock', viewer.userId, { creatorId: r.creatorId, credits: r.charged });
    return { post: await this.get(viewer, id), charged: r.charged, replayed: r.replayed };
  }

  /** Likes and comments need the post in full; a bookmark only that it exists for the viewer (locked is fine). */
  private async requireAccess(viewer: Viewer, id: string, full: boolean) {
    const [row] = await this.d.store.rows(viewer.userId, [id]);
    const access = row ? postAccess(viewer, row) : 'none';
    if (!row || access === 'none' || row.deleted) throw new AppError('NOT_FOUND', 'no such post');
    if (full && access !== 'full') throw new AppError('FORBIDDEN', 'unlock this post first');
    return row;
  }

  /** The creator of a post that exists for the viewer (locked is fine: a tip needs no access); undefined otherwise. */
  async creatorOf(viewer: Viewer, id: string): Promise<string | undefined> {
    const [row] = await this.d.store.rows(viewer.userId, [id]);
    return row && !row.deleted && postAccess(viewer, row) !== 'none' ? row.creator_id : undefined;
  }

  async like(viewer: Viewer, id: string, on: boolean): Promise<{ liked: boolean; likes: number }> {
    await this.requireAccess(viewer, id, true);
    await this.d.store.setLike(id, viewer.userId, on);
    const v = await this.get(viewer, id);
    return { liked: v.liked, likes: v.likes };
  }

  async bookmark(viewer: Viewer, id: string, on: boolean): Promise<{ bookmarked: boolean }> {
    await this.requireAccess(viewer, id, false);
    await this.d.store.setBookmark(id, viewer.userId, on);
    return { bookmarked: on };
  }

  async comment(viewer: Viewer, id: string, body: string): Promise<CommentView> {
    const p = await this.requireAccess(viewer, id, true);
    if (!p.comments_enabled) throw new AppError('COMMENTS_OFF', 'comments are turned off on this post');
    return commentView(await this.d.store.addComment({ id: randomUUID(), postId: id, authorId: viewer.userId, body: this.d.text.masked(body) }));
  }

  async comments(viewer: Viewer, id: string, cursor: string | undefined, limit: number): Promise<{ comments: CommentView[]; nextCursor: string | null }> {
    await this.requireAccess(viewer, id, true);
    const rows = await this.d.store.comments(id, cursor ? decodeCursor(cursor) : START, limit);
    return { comments: rows.map(commentView), nextCursor: rows.length === limit ? encodeCursor({ at: rows.at(-1)!.at, id: rows.at(-1)!.id }) : null };
  }

  /** Its author deletes a comment; the post's creator and admins delete any comment on the post. */
  async deleteComment(viewer: Viewer, id: string, commentId: string): Promise<void> {
    const [p] = await this.d.store.rows(viewer.userId, [id]);
    if (!p || postAccess(viewer, p) === 'none') throw new AppError('NOT_FOUND', 'no such post');
    const moderator = viewer.role === 'admin' || viewer.userId === p.creator_id;
    if (!(await this.d.store.deleteComment(id, commentId, viewer.userId, moderator))) throw new AppError('NOT_FOUND', 'no such comment of yours');
  }

  /**
   * The media module's read rule for post_media: full if the viewer sees some post carrying the item in full,
   * preview if they only see such a post locked, none otherwise (not published, deleted, or in no post).
   */
  async mediaAccess(viewer: Viewer, mediaId: string): Promise<MediaAccess> {
    const rows = await this.d.store.rowsWithMedia(viewer.userId, mediaId);
    const seen = rows.map((r) => postAccess(viewer, r));
    return seen.includes('full') ? 'full' : seen.includes('locked') ? 'preview' : 'none';
  }
}

function commentView(c: CommentRow): CommentView {
  return { id: c.id, postId: c.post_id, authorId: c.author_id, body: c.body, createdAt: c.created_at.toISOString() };
}
