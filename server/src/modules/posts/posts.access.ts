import type { PostVisibility } from '../../../../shared/posts.js';
import { priceFor } from '../../prices.js';
import type { Viewer } from '../media/media.views.js';

/** What the access rule reads of a post and of the viewer's relation to its creator (one row per post). */
export interface AccessRow {
  creator_id: string;
  visibility: PostVisibility['kind'];
  min_tier_rank: number | null;
  price: number | null;
  subscriber_price: number | null;
  published: boolean;
  deleted: boolean;
  /** The viewer in creator_audience: follows (or subscribes), and the subscribed tier's rank. */
  follows: boolean;
  tier_rank: number | null;
  /** A block stands between the viewer and the creator, either way. */
  blocked: boolean;
  /** What the viewer paid to unlock it, if they did. */
  paid: number | null;
}

/** full: everything; locked: it exists for them, shown without body and with blurred media; none: NOT_FOUND. */
export type PostAccess = 'full' | 'locked' | 'none';

/**
 * The viewer's price of a pay-per-view post: subscribers (any tier) pay the subscriber price when there is
 * one; and the house rule (priceFor): only fans pay creators, so creators and admins see it free.
 */
export function ppvPriceFor(viewer: Viewer, r: Pick<AccessRow, 'price' | 'subscriber_price' | 'tier_rank'>): number {
  const listed = r.tier_rank !== null && r.subscriber_price !== null ? r.subscriber_price : (r.price ?? 0);
  return priceFor(viewer.role, 'creator', listed);
}

/**
 * The one read rule of posts. Its creator and admins see everything; a buyer keeps a post they paid for,
 * deleted or not, and whatever blocks came later (access for good is what they paid for); nobody else sees
 * a deleted or not yet published post, or any post across a block either way. A published post exists
 * for everyone else signed in: in full when its visibility lets them, otherwise locked.
 */
export function postAccess(viewer: Viewer, r: AccessRow): PostAccess {
  if (viewer.role === 'admin' || viewer.userId === r.creator_id) return 'full';
  if (r.paid !== null) return 'full';
  if (r.deleted || !r.published || r.blocked) return 'none';
  switch (r.visibility) {
    case 'free':
      return 'full';
    case 'followers':
      return r.follows || r.tier_rank !== null ? 'full' : 'locked';
    case 'tier':
      return r.tier_rank !== null && r.tier_rank >= (r.min_tier_rank ?? 1) ? 'full' : 'locked';
    case 'ppv':
      return ppvPriceFor(viewer, r) === 0 ? 'full' : 'locked';
  }
}
