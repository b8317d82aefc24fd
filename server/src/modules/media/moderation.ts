import type { MediaRow, StoredVariant } from './media.store.js';

export interface ModerationVerdict {
  state: 'approved' | 'rejected';
  reason: string | null;
}

/**
 * The moderation step every processed item goes through before anyone but
 * its owner sees it. It approves everything for now: the trust & safety
 * issue fills it in (a classifier on the variants, a review queue). Its
 * verdict is stored with the item (`moderation`), and an admin can
 * override it (POST /api/admin/media/:id/moderation); a refusal keeps the
 * files so the override can restore them.
 */
export async function moderate(
  _media: MediaRow,
  _processed: { detectedMime: string; variants: Record<string, StoredVariant> },
): Promise<ModerationVerdict> {
  return { state: 'approved', reason: null };
}
