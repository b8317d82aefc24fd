import type { MediaView } from '../../../../shared/media.js';
import { SEARCH_MAX_OFFSET } from '../../../../shared/input.js';
import type { PostView, PostVisibility } from '../../../../shared/posts.js';
import { AppError } from '../../errors.js';
import type { MediaService } from '../media/media.service.js';
import type { Viewer } from '../media/media.views.js';
import { postAccess, ppvPriceFor } from './posts.access.js';
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

export type PostMedia = Pick<MediaService, 'grantedViews'>;

/**
 * Posts as this viewer may see them, in the order of `ids`; those that do not exist for the viewer are left
 * out. Locked: no body, and each media item granted as its blurred preview only (what the media module's
 * post_media rule would answer for a post seen locked). The media of the whole page are read in one query;
 * items gone since (deleted by their owner) are left out.
 */
export async function postViews(viewer: Viewer, ids: string[], rows: PostRow[], media: PostMedia): Promise<PostView[]> {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const seen = ids.flatMap((id) => {
    const r = byId.get(id);
    const access = r ? postAccess(viewer, r) : 'none';
    return r && access !== 'none' ? [{ r, locked: access === 'locked' }] : [];
  });
  const views = await media.grantedViews(viewer, 'post_media', {
    full: seen.flatMap(({ r, locked }) => (locked ? [] : r.media_ids)),
    preview: seen.flatMap(({ r, locked }) => (locked ? r.media_ids : [])),
  });
  return seen.map(({ r, locked }) => {
    const items = locked ? views.preview : views.full;
    return toPostView(viewer, r, locked, r.media_ids.flatMap((m) => items.get(m) ?? []));
  });
}

export async function postView(viewer: Viewer, r: PostRow, media: PostMedia): Promise<PostView | undefined> {
  return (await postViews(viewer, [r.id], [r], media))[0];
}

function toPostView(viewer: Viewer, r: PostRow, locked: boolean, media: MediaView[]): PostView {
  return {
    id: r.id,
    creatorId: r.creator_id,
    creator: { id: r.creator_id, handle: r.creator_handle, displayName: r.creator_name },
    body: locked ? null : r.body,
    media,
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

// A search's cursor: base64url of "offset|<n>" (a relevance order has no key to seek from).
export const encodeOffsetCursor = (offset: number): string => Buffer.from(`offset|${offset}`).toString('base64url');

export function decodeOffsetCursor(cursor: string): number {
  const m = /^offset\|(\d{1,4})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0 && n <= SEARCH_MAX_OFFSET)) throw new AppError('VALIDATION_FAILED', 'cursor: not a cursor from this API');
  return n;
}
