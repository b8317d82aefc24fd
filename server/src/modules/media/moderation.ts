import type { MediaKind } from '../../../../shared/media.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import type { ImagePlace } from '../moderation/policy.js';
import type { MediaRow, StoredVariant } from './media.store.js';

export interface ModerationVerdict {
  /** approved: shown; pending: quarantined (its owner and admins only, until an admin decides); rejected: withdrawn, files kept. */
  state: 'approved' | 'pending' | 'rejected';
  reason: string | null;
}

/** Where each kind is shown, for the policy; verification documents are for the reviewers' eyes only and not classified. */
const PLACE: Record<MediaKind, ImagePlace | undefined> = {
  avatar: 'profile',
  profile_photo: 'profile',
  cover: 'profile',
  post_media: 'creator_post',
  message_attachment: 'attachment',
  verification_document: undefined,
};

const STATE = { allow: 'approved', quarantine: 'pending', block: 'rejected' } as const;

/**
 * The moderation step every processed item goes through before anyone but its owner sees it: the
 * classifier scores one picture of it (the 640 px variant of an image, or the largest there is; a
 * video's poster frame), and the moderation module's policy for its place decides. Its verdict is
 * stored with the item (`moderation`) and in moderation_verdicts with the scores; a quarantined item
 * waits in the admin queue. A refusal keeps the files so an admin's override can restore them.
 */
export async function moderate(
  d: { moderation: Pick<ModerationService, 'image'>; read: (key: string) => Promise<Buffer | undefined> },
  media: MediaRow,
  processed: { variants: Record<string, StoredVariant> },
): Promise<ModerationVerdict> {
  const place = PLACE[media.kind];
  const variant = place && pictureOf(processed.variants);
  if (!place || !variant) return { state: 'approved', reason: null };
  const bytes = (await d.read(variant.key)) ?? Buffer.alloc(0);
  const verdict = await d.moderation.image({ kind: 'media', id: media.id, userId: media.owner_id }, place, bytes);
  return { state: STATE[verdict.verdict], reason: verdict.reasons.join(',') || null };
}

function pictureOf(variants: Record<string, StoredVariant>): StoredVariant | undefined {
  if (variants.poster) return variants.poster;
  if (variants.w640) return variants.w640;
  const sizes = Object.entries(variants).filter(([name]) => /^w\d+$/.test(name));
  sizes.sort(([a], [b]) => Number(b.slice(1)) - Number(a.slice(1)));
  return sizes[0]?.[1];
}
