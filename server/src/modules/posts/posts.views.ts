import type { MediaView } from '../../../../shared/media.js';
import type { PostView, PostVisibility } from '../../../../shared/posts.js';
import { AppError } from '../../errors.js';
import type { MediaService } from '../media/media.service.js';
import type { Viewer } from '../media/media.views.js';
import { postAccess, ppvPriceFor, type PostAccess } from './posts.access.js';
import type { Position, PostRow } from './posts.store.js';

export function visibilityOf(r: Pick<PostRow, 'visibility' | 'min_tier_rank' | 'price' | 'subscriber_price'>): PostVisibility {
  switch (r.visibility) {
    case 'tier':
      return { kind: 'tier', minTierRank: r.min_tier_rank! };
    case 'ppv':
      return r.subscriber_price === null ? { kind: 'ppv', price: r.price! } : { kind: 'ppv', price: r.price!, subscriberPrice: r.subscriber_price };
    default:
      return { kind: r.visibility };
  }
}

/** The columns a visibility is stored as. */
export function columnsOf(v: PostVisibility): { kind: string; minTierRank: number | null; price: number | null; subscriberPrice: number | null } {
  return {
    kind: v.kind,
    minTierRank: v.kind === 'tier' ? v.minTierRank : null,
    price: v.kind === 'ppv' ? v.price : null,
    subscriberPrice: v.kind === 'ppv' ? (v.subscriberPrice ?? null) : null,
  };
}

/**
 * A post as this viewer may see it, or undefined when it does not exist for them. Locked: no body, and the
 * media as the media module serves them to this viewer (its post_media rule answers 'preview' for a post seen
 * locked, so only the blurred variant is signed). Media gone since (deleted by its owner) is left out.
 */
export async function postView(viewer: Viewer, r: PostRow, media: Pick<MediaService, 'get'>): Promise<PostView | undefined> {
  const access: PostAccess = postAccess(viewer, r);
  if (access === 'none') return undefined;
  const locked = access === 'locked';
  const items = await Promise.all(
    r.media_ids.map((id) =>
      media.get(viewer, id).catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'NOT_FOUND') return undefined;
        throw err;
      }),
    ),
  );
  return {
    id: r.id,
    creatorId: r.creator_id,
    creator: { id: r.creator_id, handle: r.creator_handle, displayName: r.creator_name },
    body: locked ? null : r.body,
    media: items.filter((m): m is MediaView => m !== undefined),
    visibility: visibilityOf(r),
    locked,
    unlock: !locked
      ? null
      : r.visibility === 'followers'
        ? { kind: 'follow' }
        : r.visibility === 'tier'
          ? { kind: 'tier', minTierRank: r.min_tier_rank! }
          : { kind: 'ppv', price: ppvPriceFor(viewer, r) },
    paid: r.paid,
    commentsEnabled: r.comments_enabled,
    pinned: r.pinned,
    publishedAt: r.published_at.toISOString(),
    scheduled: !r.published,
    deleted: r.deleted,
    likes: r.likes,
    comments: r.comments,
    liked: r.liked,
    bookmarked: r.bookmarked,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Views of posts in the order of `ids`; those that do not exist for the viewer are left out. */
export async function postViews(viewer: Viewer, ids: string[], rows: PostRow[], media: Pick<MediaService, 'get'>): Promise<PostView[]> {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const views = await Promise.all(ids.map((id) => (byId.has(id) ? postView(viewer, byId.get(id)!, media) : undefined)));
  return views.filter((v): v is PostView => v !== undefined);
}

// Cursors: base64url of "<published_at as UTC text with microseconds>|<id>", opaque to clients.
const AT = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const encodeCursor = (p: Position): string => Buffer.from(`${p.at}|${p.id}`).toString('base64url');

/** A cursor this API issued, or VALIDATION_FAILED (never a value PostgreSQL would refuse). */
export function decodeCursor(cursor: string): Position {
  const [at = '', id = '', ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const m = AT.exec(at);
  const ms = Date.parse(at);
  if (rest.length || !m || m[1] === '0000' || !UUID.test(id) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== at.slice(0, 19)) {
    throw new AppError('VALIDATION_FAILED', 'cursor: not a cursor from this API');
  }
  return { at, id };
}
