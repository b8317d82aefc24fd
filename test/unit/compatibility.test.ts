import { describe, expect, it } from 'vitest';
import { coarse, matchPercent, type Answer } from '../../server/src/modules/profiles/compatibility.js';

const a = (questionId: number, answer: number, accepted: number[], importance: number): Answer => ({ questionId, answer, accepted, importance });

describe('matchPercent (worked examples)', () => {
  it('geometric mean of both satisfactions: sqrt(51/51 × 10/11) = 95%', () => {
    // Me: Q1 very important (50), Q2 a little (1); you answered what I accept on both → 51 of 51.
    // You: Q1 a little (1), Q2 somewhat (10); I fail your Q1, pass your Q2 → 10 of 11.
    const me = [a(1, 0, [0], 50), a(2, 1, [0], 1)];
    const you = [a(1, 0, [1], 1), a(2, 0, [1], 10)];
    const r = matchPercent(me, you);
    expect(r.common).toBe(2);
    expect(r.percent).toBe(Math.round(100 * Math.sqrt(1 * (10 / 11))));
    expect(r.percent).toBe(95);
  });

  it('is symmetric, 100 for perfect agreement and 0 when one side gets nothing it wants', () => {
    const me = [a(1, 0, [0], 10), a(2, 2, [2], 50)];
    const twin = [a(1, 0, [0], 10), a(2, 2, [2], 50)];
    expect(matchPercent(me, twin).percent).toBe(100);
    const opposite = [a(1, 1, [1], 10), a(2, 0, [0], 50)];
    expect(matchPercent(me, opposite).percent).toBe(0);
    const some = [a(1, 0, [1], 250), a(2, 2, [0, 2], 1)];
    expect(matchPercent(me, some).percent).toBe(matchPercent(some, me).percent);
  });

  it('mandatory (250) questions dominate', () => {
    const me = [a(1, 0, [0], 250), a(2, 0, [0], 1), a(3, 0, [0], 1)];
    const failsMandatory = [a(1, 1, [0, 1], 1), a(2, 0, [0], 1), a(3, 0, [0], 1)];
    const r = matchPercent(me, failsMandatory);
    // mine: 0 + 1 + 1 of 252; theirs: 1 + 1 + 1 of 3 → sqrt(2/252) ≈ 8.9%
    expect(r.percent).toBe(9);
  });

  it('has no percentage without common questions or with only irrelevant ones', () => {
    expect(matchPercent([a(1, 0, [0], 10)], [a(2, 0, [0], 10)])).toEqual({ percent: null, common: 0 });
    expect(matchPercent([a(1, 0, [0], 0)], [a(1, 0, [0], 10)])).toEqual({ percent: null, common: 1 });
  });
});

describe('coarse', () => {
  it('rounds to 0.01 degree', () => {
    expect(coarse(48.858_37)).toBe(48.86);
    expect(coarse(-0.127_58)).toBe(-0.13);
  });
});
