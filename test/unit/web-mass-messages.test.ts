import { describe, expect, it } from 'vitest';
import type { MassMessageView } from '../../shared/mass-messages.js';
import { audienceLabel, audienceOf, fansText, priceOf, progressText, statsText, statusText, withProgress } from '../../web/src/lib/mass-messages.js';

const view = (over: Partial<MassMessageView> = {}): MassMessageView => ({
  id: 'a',
  audience: { kind: 'followers' },
  excludeCount: 0,
  body: 'hi',
  mediaId: null,
  price: 0,
  status: 'sending',
  total: 10,
  sendAt: '2026-01-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
  finishedAt: null,
  stats: { sent: 2, read: 0, unlocked: 0, revenue: 0 },
  ...over,
});

describe('mass-message page rules', () => {
  it('reads audiences, sizes and progress', () => {
    expect(audienceOf('tier', 2)).toEqual({ kind: 'tier', minTierRank: 2 });
    expect(audienceOf('followers', 2)).toEqual({ kind: 'followers' });
    expect(audienceLabel({ kind: 'tier', minTierRank: 2 }, (r) => (r === 2 ? 'Gold' : undefined))).toBe('Subscribers of Gold and up');
    expect(audienceLabel({ kind: 'tier', minTierRank: 3 })).toBe('Subscribers of tier 3 and up');
    expect(audienceLabel({ kind: 'tippers' })).toBe('Fans who tipped you');
    expect(fansText(1)).toBe('1 fan');
    expect(fansText(12345)).toBe('12,345 fans');
    expect(progressText(250, 1000)).toBe('250 of 1,000 sent (25%)');
    // More sent than counted at the start (the audience grew meanwhile): never past 100 %.
    expect(progressText(12, 10)).toBe('12 of 12 sent (100%)');
    expect(progressText(0, 0)).toBe('0 of 0 sent (100%)');
  });

  it('shows unlocks and earnings only for a priced one; status words', () => {
    expect(statsText(view())).toBe('2 sent · 0 read');
    expect(statsText(view({ price: 40, stats: { sent: 3, read: 1, unlocked: 1, revenue: 32 } }))).toMatch(/^3 sent · 1 read · 1 unlocked · 32 credits? earned$/);
    expect(statusText(view({ status: 'done' }), 0)).toBe('Sent');
    expect(statusText(view({ status: 'scheduled', sendAt: '2030-01-01T00:00:00.000Z' }), Date.parse('2029-01-01'))).toMatch(/^Scheduled for /);
  });

  it('takes a price only with media, as whole credits', () => {
    expect(priceOf('', false)).toEqual({ price: 0 });
    expect(priceOf('0', false)).toEqual({ price: 0 });
    expect(priceOf('40', true)).toEqual({ price: 40 });
    expect(priceOf('40', false)).toHaveProperty('error');
    expect(priceOf('4.5', true)).toHaveProperty('error');
    expect(priceOf('-1', true)).toHaveProperty('error');
  });

  it('lays the latest progress push over a listed row, never backwards, and a finished row stays finished', () => {
    const a = view();
    expect(withProgress(a, undefined)).toBe(a);
    expect(withProgress(a, { id: 'a', status: 'sending', sent: 6, total: 10 }).stats.sent).toBe(6);
    // A push older than the fetched row (the row counted more already) does not take it back.
    expect(withProgress(view({ stats: { sent: 8, read: 1, unlocked: 0, revenue: 0 } }), { id: 'a', status: 'sending', sent: 6, total: 10 }).stats).toEqual({ sent: 8, read: 1, unlocked: 0, revenue: 0 });
    const done = withProgress(a, { id: 'a', status: 'done', sent: 10, total: 10 });
    expect(done).toMatchObject({ status: 'done', stats: { sent: 10 } });
    expect(done.finishedAt).not.toBeNull();
    // Cancelled on the server (the list was fetched again) while a sending push is still held: cancelled stays.
    expect(withProgress(view({ status: 'cancelled', finishedAt: '2026-01-02T00:00:00.000Z' }), { id: 'a', status: 'sending', sent: 3, total: 10 })).toMatchObject({ status: 'cancelled', finishedAt: '2026-01-02T00:00:00.000Z', stats: { sent: 3 } });
  });
});
