import { z } from 'zod';
import { isoTimestamp, searchText, text } from './input.js';
import type { MediaView } from './media.js';
import { expectedPrice } from './prices.js';

/**
 * Creators' posts: text and media, who may see them, pay-per-view unlocks,
 * likes, comments, bookmarks and the feed. A viewer who may not see a post
 * gets it `locked`: no body, only the media's blurred previews, and what
 * would open it (the tier rank, or the viewer's price).
 */
export const POST_MEDIA_MAX = 10;
/** Posts a creator may pin at once (shown first on page 1 of their posts). */
export const POST_PINS_MAX = 3;
export const POST_BODY_MAX = 10_000;
export const COMMENT_BODY_MAX = 2000;

export const postVisibility = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('free') }),
  z.strictObject({ kind: z.literal('followers') }),
  z.strictObject({ kind: z.literal('tier'), minTierRank: z.number().int().min(1).max(10) }),
  z.strictObject({
    kind: z.literal('ppv'),
    price: z.number().int().min(1).max(1_000_000),
    /** A lower price for subscribers (any tier); 0 makes it free to them. */
    subscriberPrice: z.number().int().min(0).max(1_000_000).optional(),
  }),
]);
export type PostVisibility = z.infer<typeof postVisibility>;

export const createPostBody = z
  .strictObject({
    body: text().max(POST_BODY_MAX).default(''),
    /** Ready post_media items of the creator's, in order. */
    mediaIds: z.array(z.uuid()).max(POST_MEDIA_MAX).default([]),
    visibility: postVisibility,
    /** Publish later (scheduled); absent: now. */
    publishAt: isoTimestamp().optional(),
    commentsEnabled: z.boolean().default(true),
  })
  .refine((b) => b.body.trim().length > 0 || b.mediaIds.length > 0, { message: 'a post needs text or media', path: ['body'] })
  .refine((b) => new Set(b.mediaIds).size === b.mediaIds.length, { message: 'the same media twice', path: ['mediaIds'] })
  .refine((b) => b.visibility.kind !== 'ppv' || (b.visibility.subscriberPrice ?? 0) < b.visibility.price, {
    message: 'subscriberPrice must be below price',
    path: ['visibility'],
  });
export type CreatePostBody = z.infer<typeof createPostBody>;

/** An edit: the body, who may see it (refused for a pay-per-view post someone bought), comments on or off. */
export const updatePostBody = z
  .strictObject({
    body: text().max(POST_BODY_MAX).optional(),
    visibility: postVisibility.optional(),
    commentsEnabled: z.boolean().optional(),
  })
  .refine((b) => b.body !== undefined || b.visibility !== undefined || b.commentsEnabled !== undefined, { message: 'nothing to change' })
  .refine((b) => b.visibility?.kind !== 'ppv' || (b.visibility.subscriberPrice ?? 0) < b.visibility.price, {
    message: 'subscriberPrice must be below price',
    path: ['visibility'],
  });
export type UpdatePostBody = z.infer<typeof updatePostBody>;

export const unlockPostBody = z.strictObject({ expectedPrice });

export const commentBody = z.strictObject({ body: text().trim().min(1).max(COMMENT_BODY_MAX) });

/** A page cursor: the previous page's nextCursor (opaque). */
export const pageCursor = z.string().regex(/^[A-Za-z0-9_-]{10,120}$/, 'not a cursor from this API');

/** GET /api/search/posts: posts the searcher may read in full whose text matches, best match first. */
export const postSearchQuery = z.strictObject({
  q: searchText,
  cursor: pageCursor.optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export const feedQuery = z.strictObject({
  cursor: pageCursor.optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export interface PostView {
  id: string;
  creatorId: string;
  /** Who posted it: their page's handle (/c/<handle>; null without a page) and name. */
  creator: { id: string; handle: string | null; displayName: string };
  /** Null when locked. */
  body: string | null;
  /** Full views, or only the blurred preview (MediaView.locked) when the post is locked. */
  media: MediaView[];
  visibility: PostVisibility;
  locked: boolean;
  /** What opens a locked post: a subscription of this rank or more, or an unlock at `price` (the viewer's price). */
  unlock: { kind: 'follow' } | { kind: 'tier'; minTierRank: number } | { kind: 'ppv'; price: number } | null;
  /** What the viewer paid for it, if they unlocked it. */
  paid: number | null;
  commentsEnabled: boolean;
  pinned: boolean;
  publishedAt: string;
  /** True until publishedAt (only its creator and admins see it). */
  scheduled: boolean;
  /** Deleted by its creator: only its buyers still see it. */
  deleted: boolean;
  likes: number;
  comments: number;
  liked: boolean;
  bookmarked: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface CommentView {
  id: string;
  postId: string;
  authorId: string;
  body: string;
  createdAt: string;
}
