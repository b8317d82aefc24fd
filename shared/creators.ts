import { z } from 'zod';
import { expectedPrice } from './prices.js';
import { isoTimestamp, searchText, text } from './input.js';
import type { MediaView } from './media.js';

/**
 * Creators: pages, tiers, follows, subscriptions, free-trial links and tips
 * (issue #12). Every price a fan pays is shown first and sent back as
 * `expectedPrice` (PRICE_CHANGED otherwise), as everywhere else.
 */

/** A page's address: lower case letters, digits and `_`, 3 to 30 long (upper case is folded). */
export const handle = text()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{3,30}$/, 'a handle is 3 to 30 letters, digits or _');

export const MESSAGE_POLICIES = ['everyone', 'followers', 'subscribers'] as const;
export type MessagePolicy = (typeof MESSAGE_POLICIES)[number];

/** Bundles: 30-day periods bought at once. */
export const BUNDLE_MONTHS = [1, 3, 6, 12] as const;
export type BundleMonths = (typeof BUNDLE_MONTHS)[number];
export const PERIOD_DAYS = 30;

const link = z.strictObject({
  label: text().trim().min(1).max(60),
  url: text()
    .max(500)
    .refine((u) => URL.canParse(u) && new URL(u).protocol === 'https:', 'links must be https URLs'),
});
const tag = text().trim().toLowerCase().min(1).max(30);
const discount = z.number().int().min(0).max(90);

/** PUT /api/creator/page: creates the caller's page or replaces the fields given. */
export const pageBody = z.strictObject({
  handle,
  bio: text().max(2000).optional(),
  links: z.array(link).max(10).optional(),
  tags: z.array(tag).max(10).optional(),
  messagePolicy: z.enum(MESSAGE_POLICIES).optional(),
  randomMatches: z.boolean().optional(),
});

/** POST /api/creator/tiers. */
export const tierBody = z.strictObject({
  name: text().trim().min(1).max(60),
  description: text().max(1000).optional(),
  /** Credits per 30 days. */
  price: z.number().int().min(1).max(1_000_000),
  discounts: z.strictObject({ 3: discount.optional(), 6: discount.optional(), 12: discount.optional() }).optional(),
});

/** PATCH /api/creator/tiers/:id: a higher price is announced (applies after the notice), a lower one applies at once. */
export const tierUpdateBody = z.strictObject({
  name: text().trim().min(1).max(60).optional(),
  description: text().max(1000).optional(),
  price: z.number().int().min(1).max(1_000_000).optional(),
  discounts: z.strictObject({ 3: discount.optional(), 6: discount.optional(), 12: discount.optional() }).optional(),
});

/** POST /api/creators/:handle/subscribe: the tier, the bundle and the price shown for it. */
export const subscribeBody = z.strictObject({
  tierId: z.uuid(),
  months: z.union([z.literal(1), z.literal(3), z.literal(6), z.literal(12)]).default(1),
  expectedPrice,
});

/** POST /api/subscriptions/:id/resume (undo a cancel; a trial's opt-in to renew) and /tier (a change at renewal): the renewal price shown. */
export const resumeBody = z.strictObject({ expectedPrice });
export const changeTierBody = z.strictObject({ tierId: z.uuid(), expectedPrice });

/** POST /api/creator/trials. */
export const trialBody = z.strictObject({
  tierId: z.uuid(),
  days: z.number().int().min(1).max(90),
  maxClaims: z.number().int().min(1).max(1_000_000),
  /** The link stops working then (at most a year ahead). */
  expiresAt: isoTimestamp().refine((v) => {
    const t = Date.parse(v);
    return t > Date.now() && t < Date.now() + 366 * 86_400_000;
  }, 'expiresAt must be in the future, within a year'),
});

export const trialCode = text().regex(/^[A-Za-z0-9_-]{8,40}$/, 'not a trial code');

export const TIP_TARGETS = ['creator', 'post', 'message'] as const;

/** POST /api/tips: to a creator, on a post or on a message (targetId); a retry with the same clientId is the same tip. */
export const tipBody = z
  .strictObject({
    creatorId: z.uuid(),
    amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    target: z.enum(TIP_TARGETS).default('creator'),
    targetId: z.uuid().optional(),
    note: text().max(500).optional(),
    clientId: z.uuid(),
  })
  .refine((b) => (b.target === 'creator') === (b.targetId === undefined), 'targetId goes with a post or message target, and only then');

/** An opaque page cursor (the previous page's nextCursor). */
export const cursor = text().regex(/^[A-Za-z0-9_-]{1,200}$/, 'not a cursor');

const csvTags = text()
  .max(400)
  .transform((s) => s.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(tag).max(10));

/** GET /api/creators. */
export const creatorsQuery = z.strictObject({
  /** Text to search handles, names, tags and bios for (full text and typos); ranks by relevance unless sort says otherwise. */
  q: searchText.optional(),
  /** Comma-separated; a creator with any of them matches. */
  tags: csvTags.optional(),
  /** Bounds on the cheapest tier's current price (credits per 30 days). */
  minPrice: z.coerce.number().int().min(0).max(1_000_000).optional(),
  maxPrice: z.coerce.number().int().min(0).max(1_000_000).optional(),
  /** Only creators with a free-trial link that can still be claimed. */
  freeTrial: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  /** relevance (with q only, its default): best match first; popular: subscribers, then followers; new: newest pages first. */
  sort: z.enum(['relevance', 'popular', 'new']).optional(),
  cursor: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
})
  .refine((b) => b.sort !== 'relevance' || b.q !== undefined, { message: 'sort=relevance needs q', path: ['sort'] })
  .transform((b) => ({ ...b, sort: b.sort ?? (b.q !== undefined ? ('relevance' as const) : ('popular' as const)) }));

/** GET /api/creator/subscribers, /api/creator/tips: newest first. */
export const listQuery = z.strictObject({
  cursor: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});

/** What a viewer pays for each bundle of a tier (after its discount, by the price rule). */
export type Bundles = Record<`${BundleMonths}`, number>;

/** A bundle's price: `months` periods at `price` less `discount` percent, rounded down, at least 1 credit (0 stays 0). */
export function bundlePrice(price: number, months: number, discount: number): number {
  if (price === 0) return 0;
  return Math.max(1, Math.floor((price * months * (100 - discount)) / 100));
}

export interface TierView {
  id: string;
  rank: number;
  name: string;
  description: string;
  /** Listed price per 30 days now. */
  price: number;
  /** An announced change: renewals on or after `priceNextAt` pay `priceNext`. */
  priceNext: number | null;
  priceNextAt: string | null;
  discounts: { 3: number; 6: number; 12: number };
  /** What this viewer pays for 1, 3, 6 or 12 periods now: what to send as expectedPrice. */
  bundles: Bundles;
  archived: boolean;
}

export interface CreatorCard {
  userId: string;
  handle: string;
  displayName: string;
  tags: string[];
  followerCount: number;
  subscriberCount: number;
  /** The cheapest tier's listed price now (null: no tiers). */
  lowestPrice: number | null;
  hasFreeTrial: boolean;
  avatar: MediaView | null;
  createdAt: string;
}

export interface CreatorPageView extends CreatorCard {
  bio: string;
  links: { label: string; url: string }[];
  cover: MediaView | null;
  messagePolicy: MessagePolicy;
  randomMatches: boolean;
  tiers: TierView[];
  /** The viewer's relation to the creator. */
  viewer: { follows: boolean; subscription: SubscriptionView | null };
  /** What one tip may be, in credits (TIP_MIN..TIP_MAX). */
  tipLimits: { min: number; max: number };
}

export interface SubscriptionView {
  id: string;
  fanId: string;
  creator: { id: string; handle: string | null; displayName: string };
  tier: { id: string; rank: number; name: string };
  /** A tier change that takes effect at the next renewal. */
  nextTier: { id: string; rank: number; name: string } | null;
  status: 'active' | 'grace' | 'expired';
  period: number;
  months: number;
  /** What the current period cost in all (0 for a trial). */
  periodPrice: number;
  currentPeriodStart: string;
  currentPeriodEnd: string;
  cancelAtPeriodEnd: boolean;
  graceUntil: string | null;
  trial: boolean;
  /** What the next renewal will charge (the announced price if it applies by then); null if it will not renew. */
  renewalPrice: number | null;
}

/** A fan who just subscribed or started a free trial, as the creator is told (`subscriber:joined`). */
export interface SubscriberJoinedView {
  subscriptionId: string;
  fanId: string;
  fanName: string;
  tierName: string;
  trial: boolean;
  months: number;
  /** What the fan paid for it (0 for a trial). */
  amount: number;
  at: string;
}

export interface TipView {
  id: string;
  fanId: string;
  fanName: string;
  creatorId: string;
  amount: number;
  target: (typeof TIP_TARGETS)[number];
  targetId: string | null;
  note: string | null;
  createdAt: string;
}

export interface TrialLinkView {
  id: string;
  code: string;
  tierId: string;
  days: number;
  maxClaims: number;
  claims: number;
  expiresAt: string;
  revoked: boolean;
  createdAt: string;
}

/** GET /api/trials/:code: what a free-trial link gives, shown before it is claimed. */
export interface TrialTermsView {
  code: string;
  /** Days free. */
  days: number;
  expiresAt: string;
  /** Still claimable (not revoked, expired or full) and not claimed by the viewer yet. */
  available: boolean;
  claimedByYou: boolean;
  creator: { userId: string; handle: string; displayName: string };
  /** The tier it opens, and what 30 days of it cost this viewer afterwards if they choose to keep it. */
  tier: { id: string; rank: number; name: string; pricePerPeriod: number };
}
