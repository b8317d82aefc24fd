import { z } from 'zod';
import { isoTimestamp, text } from './input.js';

/**
 * Mass messages: one message from a creator to a part of their audience, delivered as an ordinary message
 * in each fan's direct conversation with the creator. A price makes its attachment pay-to-view (unlocked
 * by each fan once, at the price shown, like any pay-to-view attachment).
 */
export const MASS_MESSAGE_BODY_MAX = 4000;
/** Users a creator may leave out of one mass message by hand. */
export const MASS_MESSAGE_EXCLUDE_MAX = 1000;

/**
 * Who receives it. A subscriber is one whose subscription still gives access (active or in grace);
 * `followers` counts subscribers too (as everywhere, subscribing follows); `expired`: subscribed once,
 * no longer; `tippers`: tipped the creator at least once. Anyone who blocked the creator, or whom the
 * creator blocked, is never included.
 */
export const massAudience = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('subscribers') }),
  z.strictObject({ kind: z.literal('tier'), minTierRank: z.number().int().min(1).max(10) }),
  z.strictObject({ kind: z.literal('followers') }),
  z.strictObject({ kind: z.literal('expired') }),
  z.strictObject({ kind: z.literal('tippers') }),
]);
export type MassAudience = z.infer<typeof massAudience>;

export const massAudienceBody = z.strictObject({
  audience: massAudience,
  /** Left out by hand, whatever the audience. */
  exclude: z.array(z.uuid()).max(MASS_MESSAGE_EXCLUDE_MAX).default([]),
});

export const createMassMessageBody = z
  .strictObject({
    /** The client's id for this mass message: a retry with it answers the one already created. */
    clientId: z.uuid(),
    audience: massAudience,
    exclude: z.array(z.uuid()).max(MASS_MESSAGE_EXCLUDE_MAX).default([]),
    body: text().max(MASS_MESSAGE_BODY_MAX).default(''),
    /** A ready message_attachment item of the creator's. */
    mediaId: z.uuid().optional(),
    /** Credits each fan pays to see the attachment (0: free). Needs mediaId. */
    price: z.number().int().min(0).max(1_000_000).default(0),
    /** Send later; absent: now. */
    sendAt: isoTimestamp().optional(),
  })
  .refine((b) => b.body.trim().length > 0 || b.mediaId !== undefined, { message: 'a mass message needs text or an attachment', path: ['body'] })
  .refine((b) => b.price === 0 || b.mediaId !== undefined, { message: 'a price needs an attachment to unlock', path: ['price'] });
export type CreateMassMessageInput = z.infer<typeof createMassMessageBody>;

export const massMessagesQuery = z.strictObject({
  /** The previous page's last createdAt. */
  before: isoTimestamp().optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export type MassMessageStatus = 'scheduled' | 'sending' | 'done' | 'cancelled';

export interface MassMessageStats {
  /** Fans it was delivered to. */
  sent: number;
  /** Of those, how many have read it. */
  read: number;
  /** Fans who paid to unlock its attachment. */
  unlocked: number;
  /** Credits those unlocks moved to the creator's earnings (the ledger's transfers; the platform fee excluded). */
  revenue: number;
}

export interface MassMessageView {
  id: string;
  audience: MassAudience;
  excludeCount: number;
  body: string;
  mediaId: string | null;
  price: number;
  status: MassMessageStatus;
  /** The audience's size when sending started (or when it was created, before). */
  total: number;
  sendAt: string;
  createdAt: string;
  finishedAt: string | null;
  stats: MassMessageStats;
}

/** Pushed to the creator's devices as a mass message goes out. */
export interface MassMessageProgress {
  id: string;
  status: MassMessageStatus;
  sent: number;
  total: number;
}
