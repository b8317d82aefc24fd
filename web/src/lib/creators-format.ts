import { creditsText } from './chat-format.js';
import { BUNDLE_MONTHS, PERIOD_DAYS, type BundleMonths, type SubscriptionView, type TierView } from '../../../shared/creators.js';
import type { PostView, PostVisibility } from '../../../shared/posts.js';

/**
 * Words and numbers for the creator pages (issue #12), without React, so
 * they are unit tested (test/unit/web-creators.test.ts). Prices are always
 * the server's (a tier's `bundles`, a post's `unlock.price`): nothing here
 * computes what a person pays, only how it reads.
 */

/** "1 credit", "1,200 credits": chat's wording, one definition. */
export const credits = creditsText;

export function monthsText(months: number): string {
  return months === 1 ? '1 month' : `${months} months`;
}

/** The days a bundle covers (30 per month, as the server counts). */
export function bundleDays(months: number): number {
  return months * PERIOD_DAYS;
}

export interface BundleOption {
  months: BundleMonths;
  /** What this viewer pays for it now (the tier's `bundles`): the expectedPrice. */
  price: number;
  /** Percent off the monthly price times the months, as the creator set it (0 for 1 month). */
  discount: number;
  /** What the same months cost at the monthly price, to show the saving. */
  fullPrice: number;
}

/** The four bundles of a tier as the viewer pays them, with the discount each carries. */
export function bundleOptions(tier: Pick<TierView, 'bundles' | 'discounts'>): BundleOption[] {
  const monthly = tier.bundles['1'];
  return BUNDLE_MONTHS.map((months) => ({
    months,
    price: tier.bundles[`${months}`],
    discount: months === 1 ? 0 : tier.discounts[months],
    fullPrice: monthly * months,
  }));
}

/** "3 months · 270 credits (10% off)". */
export function bundleLabel(b: BundleOption): string {
  const off = b.discount > 0 && b.price < b.fullPrice ? ` (${b.discount}% off)` : '';
  return `${monthsText(b.months)} · ${credits(b.price)}${off}`;
}

export function dateText(iso: string): string {
  return new Date(iso).toLocaleDateString('en', { day: 'numeric', month: 'short', year: 'numeric' });
}

/** What a new subscription renews at and when, said before paying. */
export function renewalNote(tier: Pick<TierView, 'priceNext' | 'priceNextAt'>, b: BundleOption, now: number): string {
  const ends = dateText(new Date(now + bundleDays(b.months) * 86_400_000).toISOString());
  const next = tier.priceNext !== null && tier.priceNextAt !== null && Date.parse(tier.priceNextAt) <= now + bundleDays(b.months) * 86_400_000;
  const again = next
    ? `the price rises to ${credits(tier.priceNext!)} a month from ${dateText(tier.priceNextAt!)}, so the renewal follows that price`
    : `at the price then in force (${credits(b.price)} today)`;
  return `Runs until ${ends}, then renews for another ${monthsText(b.months)} ${next ? '— ' : ''}${again}. Cancel any time before then.`;
}

/** The viewer's subscription in one sentence. */
export function subscriptionText(s: SubscriptionView): string {
  const end = dateText(s.currentPeriodEnd);
  if (s.status === 'expired') return `Your subscription ended on ${end}.`;
  if (s.status === 'grace') return `Your renewal could not be paid. Access continues until ${dateText(s.graceUntil ?? s.currentPeriodEnd)}; add credits to keep it.`;
  const kind = s.trial ? `Free trial of ${s.tier.name}` : `Subscribed to ${s.tier.name}`;
  if (s.renewalPrice === null) return `${kind}, active until ${end}. It will not renew.`;
  const next = s.nextTier ? ` at ${s.nextTier.name}` : '';
  return `${kind}, active until ${end}; renews${next} for ${credits(s.renewalPrice)}.`;
}

/**
 * What a fan is told when the renewal job touched their subscription (the `subscription:updated` push):
 * charged, unpaid (grace: access continues until when, and what to do), or ended.
 */
export function subscriptionNotice(s: SubscriptionView, reason: 'renewed' | 'grace' | 'expired'): string {
  const who = s.creator.displayName;
  switch (reason) {
    case 'renewed':
      return `Your subscription to ${who} renewed: ${credits(s.periodPrice)} paid for ${s.tier.name} until ${dateText(s.currentPeriodEnd)}.`;
    case 'grace':
      return `Your renewal of ${who} could not be paid${s.renewalPrice !== null ? ` (${credits(s.renewalPrice)})` : ''}. You keep access until ${dateText(s.graceUntil ?? s.currentPeriodEnd)}; add credits to keep it.`;
    case 'expired':
      return `Your subscription to ${who} has ended.`;
  }
}

/** "1 follower · 12 subscribers": a creator's audience, counted in words. */
export function audienceText(c: { followerCount: number; subscriberCount: number }): string {
  const n = (count: number, one: string) => `${count.toLocaleString('en')} ${one}${count === 1 ? '' : 's'}`;
  return `${n(c.followerCount, 'follower')} · ${n(c.subscriberCount, 'subscriber')}`;
}

/** Who may see a post, in words (for its creator). */
export function visibilityText(v: PostVisibility): string {
  switch (v.kind) {
    case 'free':
      return 'Everyone';
    case 'followers':
      return 'Followers';
    case 'tier':
      return `Subscribers of tier ${v.minTierRank} and up`;
    case 'ppv':
      return v.subscriberPrice !== undefined ? `Pay-per-view: ${credits(v.price)} (${credits(v.subscriberPrice)} for subscribers)` : `Pay-per-view: ${credits(v.price)}`;
  }
}

/** What opens a locked post, in words. */
export function unlockText(unlock: PostView['unlock'], tiers: Pick<TierView, 'rank' | 'name' | 'archived'>[] = []): string {
  if (!unlock) return '';
  if (unlock.kind === 'follow') return 'Follow to see this post.';
  if (unlock.kind === 'ppv') return `Unlock this post for ${credits(unlock.price)}.`;
  const names = tiers.filter((t) => !t.archived && t.rank >= unlock.minTierRank).map((t) => t.name);
  return names.length > 0 ? `Subscribe (${names.join(' or ')}) to see this post.` : `Subscribers of tier ${unlock.minTierRank} and up see this post.`;
}

/** The composer's visibility fields → the schema's union (null and a sentence when a number is wrong). */
export function visibilityOf(form: { kind: PostVisibility['kind']; minTierRank: string; price: string; subscriberPrice: string }): { visibility: PostVisibility } | { error: string } {
  const whole = (s: string, min: number) => (/^\d+$/.test(s.trim()) && Number(s) >= min && Number(s) <= 1_000_000 ? Number(s) : null);
  switch (form.kind) {
    case 'free':
    case 'followers':
      return { visibility: { kind: form.kind } };
    case 'tier': {
      const rank = whole(form.minTierRank, 1);
      return rank === null || rank > 10 ? { error: 'Choose a tier.' } : { visibility: { kind: 'tier', minTierRank: rank } };
    }
    case 'ppv': {
      const price = whole(form.price, 1);
      if (price === null) return { error: 'Enter a price of at least 1 credit.' };
      if (form.subscriberPrice.trim() === '') return { visibility: { kind: 'ppv', price } };
      const sub = whole(form.subscriberPrice, 0);
      if (sub === null || sub >= price) return { error: 'The subscriber price must be a whole number below the price.' };
      return { visibility: { kind: 'ppv', price, subscriberPrice: sub } };
    }
  }
}

/** A tip amount typed by a fan: a whole number within the server's limits (known once it refused one). */
export function tipAmountError(text: string, limits: { min: number; max: number } | null): string | null {
  if (!/^\d+$/.test(text.trim())) return 'Enter a whole number of credits.';
  const n = Number(text);
  if (n < (limits?.min ?? 1)) return `The smallest tip is ${credits(limits?.min ?? 1)}.`;
  if (limits && n > limits.max) return `The largest tip is ${credits(limits.max)}.`;
  return null;
}

/** Comma or space separated tags → the list the API takes (lower case, unique, at most 10). */
export function parseTags(text: string): string[] {
  const tags = text
    .split(/[,\s]+/)
    .map((t) => t.trim().toLowerCase().replace(/^#/, ''))
    .filter(Boolean);
  return [...new Set(tags)].slice(0, 10);
}

export interface CreatorFilters {
  /** Words, a handle or a name (GET /api/creators?q=); empty: the plain listing. */
  text: string;
  tags: string;
  minPrice: string;
  maxPrice: string;
  freeTrial: boolean;
  /** relevance applies with a text only; without one the listing is popular. */
  sort: 'relevance' | 'popular' | 'new';
}

/** The listing's query string (GET /api/creators) for the filters and a page cursor. */
export function creatorsQueryString(f: CreatorFilters, cursor?: string | null): string {
  const q = new URLSearchParams();
  const text = f.text.trim().slice(0, 100);
  if (text) q.set('q', text);
  const tags = parseTags(f.tags);
  if (tags.length > 0) q.set('tags', tags.join(','));
  if (/^\d+$/.test(f.minPrice.trim())) q.set('minPrice', f.minPrice.trim());
  if (/^\d+$/.test(f.maxPrice.trim())) q.set('maxPrice', f.maxPrice.trim());
  if (f.freeTrial) q.set('freeTrial', 'true');
  q.set('sort', f.sort === 'relevance' && !text ? 'popular' : f.sort);
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

/** A tier price change as the creator is told before saving: a cut applies now, a rise after the notice. */
export function priceChangeNote(current: number, next: number, noticeDays = 7): string {
  if (next === current) return '';
  if (next < current) return `A lower price applies at once, to new subscribers and to renewals.`;
  return `A higher price is announced to your subscribers now and applies to renewals only after the notice period (${noticeDays} days by default); until then new subscribers pay ${credits(current)}.`;
}

/** datetime-local's value ("2026-12-24T18:00", local time) → ISO, or null if empty or not in the future. */
export function publishAtOf(local: string, now: number): string | null | 'past' {
  if (local.trim() === '') return null;
  const t = new Date(local).getTime();
  if (!Number.isFinite(t)) return 'past';
  return t > now ? new Date(t).toISOString() : 'past';
}
