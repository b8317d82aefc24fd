import { describe, expect, it } from 'vitest';
import { dayBars, daySummary, funnelSteps, lastDays, percent, retention } from '../../web/src/lib/analytics-chart.js';

const BOX = { width: 140, height: 120, pad: { left: 20, right: 20, top: 10, bottom: 10 } };

describe('analytics charts (web/src/lib/analytics-chart.ts)', () => {
  it('one bar per day on a round scale from zero; all zeros is empty', () => {
    const g = dayBars(
      [
        { day: '2026-11-01', value: 0 },
        { day: '2026-11-02', value: 5 },
        { day: '2026-11-03', value: 10 },
        { day: '2026-11-04', value: 7 },
      ],
      BOX,
    );
    expect(g.empty).toBe(false);
    expect(g.bars.map((b) => b.height)).toEqual([0, 50, 100, 70]);
    expect(g.bars.map((b) => b.x)).toEqual([23.75, 48.75, 73.75, 98.75]);
    expect(g.yTicks.map((t) => t.value)).toEqual([0, 5, 10]);
    expect(g.bars.every((b) => b.y + b.height === 110)).toBe(true);
    expect(dayBars([{ day: '2026-11-01', value: 0 }], BOX).empty).toBe(true);
  });

  it('the last N days end today', () => {
    expect(lastDays(7, new Date('2026-12-02T13:00:00Z'))).toEqual({ from: '2026-11-26', to: '2026-12-02' });
    expect(lastDays(1, new Date('2026-01-01T00:00:00Z'))).toEqual({ from: '2026-01-01', to: '2026-01-01' });
  });

  it('summaries, shares, funnel and retention of the range', () => {
    expect(daySummary('DAU', [{ day: 'a', value: 3 }, { day: 'b', value: 9 }, { day: 'c', value: 4 }])).toBe('DAU over 3 days: 4 on c, highest 9 on b');
    expect(percent(1, 3)).toBe('33%');
    expect(percent(1, 0)).toBe('–');
    const day = (d: string, signup: number, verified: number, d1: number, d7: number) => ({
      day: d,
      'funnel.signup': signup,
      'funnel.verified': verified,
      'funnel.purchased': 1,
      'funnel.paid_action': 0,
      'retention.d1': d1,
      'retention.d7': d7,
      'retention.d30': 0,
    });
    const days = [day('2026-11-20', 10, 5, 4, 2), day('2026-11-28', 10, 5, 6, 0), day('2026-12-01', 20, 0, 0, 0)];
    expect(funnelSteps(days)).toEqual([
      { label: 'Signed up', users: 40, share: '100%' },
      { label: 'Verified their email', users: 10, share: '25%' },
      { label: 'Bought credits', users: 3, share: '8%' },
      { label: 'Paid for something', users: 0, share: '0%' },
    ]);
    // On 2026-12-02, D1 is over for the cohorts of 11-20 and 11-28 only (12-01's ends tonight); D7 for 11-20 only.
    expect(retention(days, 1, '2026-12-02')).toBe('50%');
    expect(retention(days, 7, '2026-12-02')).toBe('20%');
    expect(retention(days, 30, '2026-12-02')).toBe('–');
  });
});
