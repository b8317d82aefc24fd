import { describe, expect, it } from 'vitest';
import { sourceOf, csvLine, earningsRangeQuery, earningsStatementQuery } from '../../shared/earnings.js';
import { chartSummary, holdText, lastDays, lastMonths, niceStep, stackedBars, type ChartBox } from '../../web/src/lib/earnings-chart.js';

const BOX: ChartBox = { width: 300, height: 200, pad: { left: 40, right: 10, top: 10, bottom: 30 } };

describe('earnings chart geometry', () => {
  it('stacks each day by source from zero up, in the sources order, scaled to a round maximum', () => {
    const g = stackedBars(
      [
        { day: '2026-12-01', total: 0, bySource: {} },
        { day: '2026-12-02', total: 90, bySource: { tips: 30, subscriptions: 60 } },
      ],
      BOX,
    );
    expect(g.sources).toEqual(['subscriptions', 'tips']);
    const [, bar] = g.bars;
    expect(bar!.segments.map((s) => s.source)).toEqual(['subscriptions', 'tips']);
    // Domain 0..100 (step 50 → 100 ≥ 90) over 160 px: 60 → 96 px, 30 → 48 px, stacked without gaps.
    const [subs, tips] = bar!.segments;
    expect(subs!.height).toBeCloseTo(96);
    expect(tips!.height).toBeCloseTo(48);
    expect(subs!.y + subs!.height).toBeCloseTo(g.zeroY);
    expect(tips!.y + tips!.height).toBeCloseTo(subs!.y);
    expect(g.zeroY).toBeCloseTo(170);
    expect(g.yTicks.map((t) => t.value)).toEqual([0, 50, 100]);
    expect(g.bars[0]!.segments).toEqual([]);
  });

  it('draws a day with more taken back than earned below zero', () => {
    const g = stackedBars([{ day: '2026-12-01', total: -40, bySource: { tips: -40 } }, { day: '2026-12-02', total: 40, bySource: { tips: 40 } }], BOX);
    const down = g.bars[0]!.segments[0]!;
    expect(down.y).toBeCloseTo(g.zeroY);
    expect(g.yTicks[0]!.value).toBeLessThan(0);
    expect(g.bars[1]!.segments[0]!.y + g.bars[1]!.segments[0]!.height).toBeCloseTo(g.zeroY);
  });

  it('bars stay inside the plot whatever the number of days', () => {
    const days = Array.from({ length: 90 }, (_, i) => ({ day: `d${i}`, total: i, bySource: { calls: i } }));
    const g = stackedBars(days, BOX);
    for (const b of g.bars) {
      expect(b.x).toBeGreaterThanOrEqual(BOX.pad.left);
      expect(b.x + b.width).toBeLessThanOrEqual(BOX.width - BOX.pad.right + 1e-9);
    }
  });

  it('round steps, summaries, ranges and the hold in words', () => {
    expect([niceStep(90), niceStep(7), niceStep(1), niceStep(12_345)]).toEqual([50, 2, 1, 5000]);
    expect(chartSummary([{ day: '2026-12-01', total: 0, bySource: {} }])).toBe('No earnings from 2026-12-01 to 2026-12-01.');
    expect(chartSummary([{ day: '2026-12-01', total: 5, bySource: {} }, { day: '2026-12-02', total: 8, bySource: {} }])).toMatch(/13 credits in all; best day 2026-12-02 with 8/);
    expect(lastDays(7, new Date('2026-03-02T10:00:00Z'))).toEqual({ from: '2026-02-24', to: '2026-03-02' });
    expect(lastMonths(3, new Date('2026-01-15T00:00:00Z'))).toEqual(['2026-01', '2025-12', '2025-11']);
    expect([holdText(604_800), holdText(3600), holdText(90), holdText(0)]).toEqual(['7 days', '1 hour', '90 seconds', 'none']);
  });
});

describe('earnings contracts', () => {
  it('maps every kind that pays a creator to its source in one place', () => {
    expect(['subscription', 'post_unlock', 'unlock', 'tip', 'message', 'call', 'something_new'].map(sourceOf)).toEqual(['subscriptions', 'ppv', 'ppv', 'tips', 'messages', 'calls', 'other']);
  });

  it('refuses impossible days, reversed or too long ranges, and bad months', () => {
    expect(earningsRangeQuery.safeParse({ from: '2024-02-29', to: '2024-03-01' }).success).toBe(true);
    expect(earningsRangeQuery.safeParse({ from: '2023-02-29', to: '2023-03-01' }).success).toBe(false);
    expect(earningsRangeQuery.safeParse({ from: '2024-03-02', to: '2024-03-01' }).success).toBe(false);
    // 367 days at most, both ends included (2024 is a leap year).
    expect(earningsRangeQuery.safeParse({ from: '2024-01-01', to: '2025-01-01' }).success).toBe(true);
    expect(earningsRangeQuery.safeParse({ from: '2024-01-01', to: '2025-01-02' }).success).toBe(false);
    expect(earningsStatementQuery.safeParse({ month: '2024-00' }).success).toBe(false);
    expect(earningsStatementQuery.parse({ month: '2024-12' })).toEqual({ month: '2024-12', limit: 200 });
  });

  it('a CSV line quotes what needs quoting', () => {
    expect(csvLine({ id: 1, createdAt: '2026-12-01T00:00:00.000Z', source: 'tips', kind: 'tip', gross: 10, share: 8, fee: 2, key: 'tip:a,b:creator' })).toBe(
      '2026-12-01T00:00:00.000Z,tips,tip,10,8,2,"tip:a,b:creator"\r\n',
    );
  });
});
