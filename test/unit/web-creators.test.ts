import { describe, expect, it } from 'vitest';
import {
  audienceText,
  bundleLabel,
  bundleOptions,
  creatorsQueryString,
  parseTags,
  priceChangeNote,
  publishAtOf,
  renewalNote,
  subscriptionNotice,
  subscriptionText,
  tipAmountError,
  unlockText,
  visibilityOf,
} from '../../web/src/lib/creators-format.js';
import { bundlePrice, type SubscriptionView } from '../../shared/creators.js';

/** The creator pages' words and numbers (web/src/lib/creators-format.ts): prices come from the server, the helpers only say them. */

const tier = {
  bundles: { '1': 100, '3': bundlePrice(100, 3, 10), '6': bundlePrice(100, 6, 20), '12': bundlePrice(100, 12, 0) },
  discounts: { 3: 10, 6: 20, 12: 0 },
  priceNext: null,
  priceNextAt: null,
};

describe('bundles', () => {
  it('lists the four bundles at the server’s prices with the discount against the monthly price', () => {
    const opts = bundleOptions(tier);
    expect(opts.map((b) => [b.months, b.price, b.discount, b.fullPrice])).toEqual([
      [1, 100, 0, 100],
      [3, 270, 10, 300],
      [6, 480, 20, 600],
      [12, 1200, 0, 1200],
    ]);
    expect(opts.map(bundleLabel)).toEqual(['1 month · 100 credits', '3 months · 270 credits (10% off)', '6 months · 480 credits (20% off)', '12 months · 1,200 credits']);
  });

  it('says when a subscription renews, and an announced rise that reaches the renewal', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const [one] = bundleOptions(tier);
    expect(renewalNote(tier, one!, now)).toMatch(/^Runs until Jan 31, 2026, then renews for another 1 month at the price then in force \(100 credits today\)/);
    const rising = { ...tier, priceNext: 150, priceNextAt: '2026-01-08T12:00:00Z' };
    expect(renewalNote(rising, one!, now)).toContain('the price rises to 150 credits a month from Jan 8, 2026');
    // A rise after the bundle's end is not this renewal's business.
    expect(renewalNote({ ...rising, priceNextAt: '2026-06-01T12:00:00Z' }, one!, now)).not.toContain('rises');
  });
});

describe('subscription state', () => {
  const base: SubscriptionView = {
    id: 's',
    fanId: 'f',
    creator: { id: 'c', handle: 'ada', displayName: 'Ada' },
    tier: { id: 't', rank: 1, name: 'Basic' },
    nextTier: null,
    status: 'active',
    period: 1,
    months: 1,
    periodPrice: 100,
    currentPeriodStart: '2026-01-01T12:00:00Z',
    currentPeriodEnd: '2026-01-31T12:00:00Z',
    cancelAtPeriodEnd: false,
    graceUntil: null,
    trial: false,
    renewalPrice: 100,
  };
  it('reads active, cancelled, a tier change, trial, grace and expired', () => {
    expect(subscriptionText(base)).toBe('Subscribed to Basic, active until Jan 31, 2026; renews for 100 credits.');
    expect(subscriptionText({ ...base, renewalPrice: null, cancelAtPeriodEnd: true })).toBe('Subscribed to Basic, active until Jan 31, 2026. It will not renew.');
    expect(subscriptionText({ ...base, nextTier: { id: 'v', rank: 2, name: 'VIP' }, renewalPrice: 300 })).toContain('renews at VIP for 300 credits');
    expect(subscriptionText({ ...base, trial: true, renewalPrice: null })).toMatch(/^Free trial of Basic/);
    expect(subscriptionText({ ...base, status: 'grace', graceUntil: '2026-02-03T12:00:00Z' })).toContain('until Feb 3, 2026');
    expect(subscriptionText({ ...base, status: 'expired' })).toBe('Your subscription ended on Jan 31, 2026.');
  });
  it('tells the fan what the renewal job did: charged, unpaid with access until grace ends, ended', () => {
    expect(subscriptionNotice({ ...base, tier: { id: 'v', rank: 2, name: 'VIP' }, periodPrice: 300 }, 'renewed')).toBe('Your subscription to Ada renewed: 300 credits paid for VIP until Jan 31, 2026.');
    expect(subscriptionNotice({ ...base, status: 'grace', graceUntil: '2026-02-03T12:00:00Z' }, 'grace')).toBe(
      'Your renewal of Ada could not be paid (100 credits). You keep access until Feb 3, 2026; add credits to keep it.',
    );
    expect(subscriptionNotice({ ...base, status: 'expired', renewalPrice: null }, 'expired')).toBe('Your subscription to Ada has ended.');
  });
});

describe('posts', () => {
  it('says what opens a locked post', () => {
    const tiers = [
      { rank: 1, name: 'Basic', archived: false },
      { rank: 2, name: 'VIP', archived: false },
      { rank: 3, name: 'Old', archived: true },
    ];
    expect(unlockText({ kind: 'tier', minTierRank: 2 }, tiers)).toBe('Subscribe (VIP) to see this post.');
    expect(unlockText({ kind: 'ppv', price: 1500 })).toBe('Unlock this post for 1,500 credits.');
    expect(unlockText({ kind: 'follow' })).toBe('Follow to see this post.');
    expect(unlockText(null)).toBe('');
  });

  it('turns the composer’s fields into a visibility the schema takes, or a sentence', () => {
    const f = { kind: 'free' as const, minTierRank: '1', price: '', subscriberPrice: '' };
    expect(visibilityOf(f)).toEqual({ visibility: { kind: 'free' } });
    expect(visibilityOf({ ...f, kind: 'tier', minTierRank: '2' })).toEqual({ visibility: { kind: 'tier', minTierRank: 2 } });
    expect(visibilityOf({ ...f, kind: 'ppv', price: '50' })).toEqual({ visibility: { kind: 'ppv', price: 50 } });
    expect(visibilityOf({ ...f, kind: 'ppv', price: '50', subscriberPrice: '0' })).toEqual({ visibility: { kind: 'ppv', price: 50, subscriberPrice: 0 } });
    expect(visibilityOf({ ...f, kind: 'ppv', price: '50', subscriberPrice: '50' })).toHaveProperty('error');
    expect(visibilityOf({ ...f, kind: 'ppv', price: '0' })).toHaveProperty('error');
    expect(visibilityOf({ ...f, kind: 'ppv', price: '2.5' })).toHaveProperty('error');
  });

  it('takes a publish time only in the future', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(publishAtOf('', now)).toBeNull();
    expect(publishAtOf('2020-01-01T10:00', now)).toBe('past');
    expect(publishAtOf('2030-01-01T10:00', now)).toBe(new Date('2030-01-01T10:00').toISOString());
  });
});

describe('forms', () => {
  it('checks a tip against the limits it knows', () => {
    expect(tipAmountError('10', null)).toBeNull();
    expect(tipAmountError('0', null)).toBe('The smallest tip is 1 credit.');
    expect(tipAmountError('ten', null)).toBe('Enter a whole number of credits.');
    expect(tipAmountError('501', { min: 5, max: 500 })).toBe('The largest tip is 500 credits.');
    expect(tipAmountError('4', { min: 5, max: 500 })).toBe('The smallest tip is 5 credits.');
  });

  it('builds the listing’s query from the filters', () => {
    expect(creatorsQueryString({ text: '', tags: ' Music, #art music', minPrice: '10', maxPrice: 'x', freeTrial: true, sort: 'new' }, 'abc_1')).toBe(
      'tags=music%2Cart&minPrice=10&freeTrial=true&sort=new&cursor=abc_1',
    );
    expect(creatorsQueryString({ text: '', tags: '', minPrice: '', maxPrice: '', freeTrial: false, sort: 'popular' })).toBe('sort=popular');
    // A text searches and ranks by relevance; relevance without one is the popular listing (the server refuses it).
    expect(creatorsQueryString({ text: '  jane doe ', tags: '', minPrice: '', maxPrice: '', freeTrial: false, sort: 'relevance' })).toBe('q=jane+doe&sort=relevance');
    expect(creatorsQueryString({ text: '   ', tags: '', minPrice: '', maxPrice: '', freeTrial: false, sort: 'relevance' })).toBe('sort=popular');
    expect(creatorsQueryString({ text: 'x'.repeat(150), tags: '', minPrice: '', maxPrice: '', freeTrial: false, sort: 'new' })).toBe(`q=${'x'.repeat(100)}&sort=new`);
    expect(parseTags('a b c d e f g h i j k l')).toHaveLength(10);
  });

  it('explains a tier price change before it is saved', () => {
    expect(priceChangeNote(100, 100)).toBe('');
    expect(priceChangeNote(100, 80)).toMatch(/at once/);
    expect(priceChangeNote(100, 120)).toMatch(/announced.*until then new subscribers pay 100 credits/);
  });
});

describe('audience', () => {
  it('counts followers and subscribers in words, one or many', () => {
    expect(audienceText({ followerCount: 1, subscriberCount: 0 })).toBe('1 follower · 0 subscribers');
    expect(audienceText({ followerCount: 1200, subscriberCount: 1 })).toBe('1,200 followers · 1 subscriber');
  });
});
