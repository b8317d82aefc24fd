import { z } from 'zod';
import { bundlePrice, BUNDLE_MONTHS, type Bundles, type SubscriptionView, type TierView, type TipView, type TrialLinkView } from '../../../../shared/creators.js';
import { AppError } from '../../errors.js';
import { SEARCH_MAX_OFFSET } from '../../../../shared/input.js';
import { priceFor } from '../../prices.js';
import type { SubscriptionDetail, TierRow, TipRow, TrialLinkRow } from './creators.store.js';

/** A tier's discount for a bundle of `months` periods (none for a single one). */
export function discountOf(t: { discount_3: number; discount_6: number; discount_12: number }, months: number): number {
  return months === 3 ? t.discount_3 : months === 6 ? t.discount_6 : months === 12 ? t.discount_12 : 0;
}

/** What the viewer pays for each bundle of a tier now (the price rule: only fans pay creators). */
export function bundlesFor(viewerRole: string, t: TierRow): Bundles {
  return Object.fromEntries(BUNDLE_MONTHS.map((m) => [String(m), priceFor(viewerRole, 'creator', bundlePrice(t.price_now, m, discountOf(t, m)))])) as Bundles;
}

export function toTierView(viewerRole: string, t: TierRow): TierView {
  // Once its time has come an announced price is the price, even before the job folds it in.
  const announced = t.price_next !== null && t.price_next_at !== null && t.price_next_at.getTime() > Date.now();
  return {
    id: t.id,
    rank: t.rank,
    name: t.name,
    description: t.description,
    price: t.price_now,
    priceNext: announced ? t.price_next : null,
    priceNextAt: announced ? t.price_next_at!.toISOString() : null,
    discounts: { 3: t.discount_3, 6: t.discount_6, 12: t.discount_12 },
    bundles: bundlesFor(viewerRole, t),
    archived: t.archived_at !== null,
  };
}

/** What the next renewal of this subscription charges (null: it will not renew). */
export function renewalPriceOf(s: SubscriptionDetail): number | null {
  if (s.status === 'expired' || s.cancel_at_period_end) return null;
  return priceFor(s.fan_role, 'creator', bundlePrice(s.renew_price, s.months, discountOf({ discount_3: s.renew_discount_3, discount_6: s.renew_discount_6, discount_12: s.renew_discount_12 }, s.months)));
}

export function toSubscriptionView(s: SubscriptionDetail): SubscriptionView {
  return {
    id: s.id,
    fanId: s.fan_id,
    creator: { id: s.creator_id, handle: s.handle, displayName: s.creator_name },
    tier: { id: s.tier_id, rank: s.tier_rank, name: s.tier_name },
    nextTier: s.next_tier_id ? { id: s.next_tier_id, rank: s.next_rank!, name: s.next_name! } : null,
    status: s.status,
    period: s.period,
    months: s.months,
    periodPrice: s.period_price,
    currentPeriodStart: s.current_period_start.toISOString(),
    currentPeriodEnd: s.current_period_end.toISOString(),
    cancelAtPeriodEnd: s.cancel_at_period_end,
    graceUntil: s.grace_until?.toISOString() ?? null,
    trial: s.trial_link_id !== null,
    renewalPrice: renewalPriceOf(s),
  };
}

export function toTipView(t: TipRow): TipView {
  return {
    id: t.id,
    fanId: t.fan_id,
    fanName: t.fan_name,
    creatorId: t.creator_id,
    amount: t.amount,
    target: t.target,
    targetId: t.target_id,
    note: t.note,
    createdAt: t.created_at.toISOString(),
  };
}

export function toTrialLinkView(l: TrialLinkRow): TrialLinkView {
  return {
    id: l.id,
    code: l.code,
    tierId: l.tier_id,
    days: l.days,
    maxClaims: l.max_claims,
    claims: l.claims,
    expiresAt: l.expires_at.toISOString(),
    revoked: l.revoked_at !== null,
    createdAt: l.created_at.toISOString(),
  };
}

/** Page cursors: the last row's sort key, as base64url JSON. */
export function encodeCursor(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

const popularKey = z.tuple([z.number().int().min(0).max(2_147_483_647), z.number().int().min(0).max(2_147_483_647), z.uuid()]);
const timeKey = z.tuple([z.iso.datetime().refine((v) => !v.startsWith('0000')), z.uuid()]);

const offsetKey = z.tuple([z.literal('offset'), z.number().int().min(0).max(SEARCH_MAX_OFFSET)]);

export function decodeCursor(cursor: string, kind: 'popular'): [number, number, string];
export function decodeCursor(cursor: string, kind: 'time'): [string, string];
export function decodeCursor(cursor: string, kind: 'offset'): ['offset', number];
export function decodeCursor(cursor: string, kind: 'popular' | 'time' | 'offset'): (string | number)[] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('VALIDATION_FAILED', 'not a cursor of this list');
  }
  const parsed = (kind === 'popular' ? popularKey : kind === 'time' ? timeKey : offsetKey).safeParse(value);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'not a cursor of this list');
  return parsed.data;
}
