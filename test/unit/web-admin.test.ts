import { describe, expect, it } from 'vitest';
import { appendSnapshot, chartGeometry, GAP_MS, niceMax, samples, seriesSummary, WINDOW_MS, type SeriesPoint } from '../../web/src/lib/admin-series.js';
import { discrepancyText, parseAmount, plural, signedCredits, verifyVerdict } from '../../web/src/lib/admin-format.js';
import { refusalAction } from '../../web/src/lib/admin-live.js';
import { adjustmentErrorText, intentFor, queryString } from '../../web/src/lib/admin-api.js';
import { ApiError } from '../../web/src/lib/api.js';
import type { LedgerVerifyReport } from '../../shared/admin.js';

/** The admin pages' client logic: the live series behind the chart, and the words for reports. */

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const snap = (secondsAfter: number, online: number, mps = 0) => ({ at: new Date(T0 + secondsAfter * 1000).toISOString(), onlineUsers: online, messagesPerSecond: mps });
const build = (points: [number, number, number?][]) => points.reduce<SeriesPoint[]>((s, [t, o, m]) => appendSnapshot(s, snap(t, o, m)), []);

describe('the live series', () => {
  it('appends snapshots in server time and drops repeats and older ones (a reconnect can replay one)', () => {
    let s = build([
      [0, 3],
      [1, 4],
    ]);
    s = appendSnapshot(s, snap(1, 99));
    s = appendSnapshot(s, snap(0.5, 99));
    s = appendSnapshot(s, { at: 'not a date', onlineUsers: 99, messagesPerSecond: 0 });
    expect(s.map((p) => p.online)).toEqual([3, 4]);
    expect(appendSnapshot(s, snap(2, 5)).map((p) => p.online)).toEqual([3, 4, 5]);
  });

  it('keeps only the window back from the newest point', () => {
    const secs = WINDOW_MS / 1000;
    const s = build(Array.from({ length: secs + 30 }, (_, i) => [i, i] as [number, number]));
    // Points 0..209 s: the newest is 209, so 29 is the oldest within 180 s of it.
    expect(s[0]!.t).toBe(T0 + 29_000);
    expect(s.at(-1)!.t - s[0]!.t).toBe(WINDOW_MS);
  });

  it('rounds the axis up to a nice even number (whole halves), never below the floor', () => {
    expect([0, 1, 2, 3, 7, 9, 10, 11, 21, 26, 61, 180, 2600].map((v) => niceMax(v))).toEqual([2, 2, 2, 4, 8, 10, 10, 20, 40, 40, 80, 200, 4000]);
    expect(niceMax(0, 5)).toBe(6);
    expect(niceMax(0.3)).toBe(2);
  });

  it('places the newest point at the right edge and breaks the line across a gap in the pushes', () => {
    const box = { width: 300, height: 100, pad: { left: 0, right: 0, top: 0, bottom: 0 } };
    const gapSeconds = GAP_MS / 1000 + 2;
    const s = build([
      [0, 0],
      [1, 5],
      [1 + gapSeconds, 10],
      [2 + gapSeconds, 10],
    ]);
    const g = chartGeometry(s, (p) => p.online, box);
    expect(g.yMax).toBe(10);
    expect(g.last).toEqual({ x: 300, y: 0, value: 10 });
    // Two runs: one "M" each.
    expect(g.line.match(/M/g)).toHaveLength(2);
    expect(g.line.startsWith('M')).toBe(true);
    expect(g.area.match(/Z/g)).toHaveLength(2);
    expect(g.yTicks.map((t) => t.value)).toEqual([0, 5, 10]);
    expect(g.xTicks.map((t) => t.minutesAgo)).toEqual([3, 2, 1, 0]);
    expect(g.xTicks.at(-1)!.x).toBe(300);
  });

  it('draws nothing for an empty series', () => {
    const g = chartGeometry([], (p) => p.online, { width: 100, height: 50, pad: { left: 0, right: 0, top: 0, bottom: 0 } });
    expect(g).toMatchObject({ line: '', area: '', last: null, yMax: 2 });
  });

  it('sums the chart up in one sentence for screen readers', () => {
    expect(seriesSummary('Online users', [], (p) => p.online)).toBe('Online users: no data yet.');
    expect(seriesSummary('Online users', build([[0, 4]]), (p) => p.online)).toBe('Online users: 4 now.');
    const s = build([
      [0, 4],
      [1, 9],
      [2, 2],
      [3, 6],
    ]);
    expect(seriesSummary('Online users', s, (p) => p.online)).toBe('Online users over the last 3 seconds: 6 now, lowest 2, highest 9.');
    const long = build(Array.from({ length: 150 }, (_, i) => [i, 1] as [number, number]));
    expect(seriesSummary('Online users', long, (p) => p.online)).toMatch(/over the last 2 minutes/);
  });

  it('samples the table beside the chart every n seconds back from the newest point', () => {
    const s = build(Array.from({ length: 61 }, (_, i) => [i, i] as [number, number]));
    expect(samples(s, 15, 10).map((p) => p.online)).toEqual([60, 45, 30, 15, 0]);
    expect(samples(s, 15, 2).map((p) => p.online)).toEqual([60, 45]);
    expect(samples([], 15, 5)).toEqual([]);
  });
});

describe('the ledger verdict in words', () => {
  const clean: LedgerVerifyReport = { ok: true, checkedAt: new Date(T0).toISOString(), brokenTransfers: [], brokenChains: [], balanceMismatches: [], totalPosted: 0 };

  it('says OK when everything checks out', () => {
    const v = verifyVerdict(clean);
    expect(v.ok).toBe(true);
    expect(v.headline).toBe('Ledger OK');
    expect(v.detail).toMatch(/add up to 0/);
    expect(v.problems).toEqual([]);
  });

  it('names each broken chain, transfer and balance, and a non-zero total', () => {
    const v = verifyVerdict({
      ...clean,
      ok: false,
      brokenChains: [{ shard: 2, problem: 'head hash does not match the last transfer' }],
      brokenTransfers: [{ id: 41, shard: 3, seq: 7, problem: 'hash mismatch' }],
      balanceMismatches: [{ id: 9, code: 'wallet:abc', posted: 100, expectedPosted: 90, pendingDebits: 0, expectedPendingDebits: 0 }],
      totalPosted: 10,
    });
    expect(v.ok).toBe(false);
    expect(v.headline).toBe('Ledger check failed');
    expect(v.detail).toBe('4 problems found:');
    expect(v.problems).toEqual([
      'Chain 2: head hash does not match the last transfer.',
      'Transfer #41 (chain 3, position 7): hash mismatch.',
      'Account wallet:abc: posted balance 100, its transfers add up to 90.',
      'All balances add up to 10 instead of 0: credits were created or destroyed outside a transfer.',
    ]);
  });

  it('does not call a report OK that the server did not', () => {
    expect(verifyVerdict({ ...clean, ok: false }).ok).toBe(false);
  });
});

describe('admin words and inputs', () => {
  it('explains each reconciliation discrepancy kind, and falls back to the kind itself', () => {
    expect(discrepancyText({ kind: 'succeeded_not_credited' })).toMatch(/took the money/);
    expect(discrepancyText({ kind: 'something_new' })).toBe('something new');
  });

  it('parses an adjustment amount as a whole number with an optional sign', () => {
    expect(['25', '+25', '-30', '−30', ' 7 '].map(parseAmount)).toEqual([25, 25, -30, -30, 7]);
    expect(['', '1.5', 'ten', '1e3', '12345678901'].map(parseAmount)).toEqual([null, null, null, null, null]);
    expect(signedCredits(25)).toBe('+25 credits');
    expect(signedCredits(-1)).toBe('−1 credit');
    expect(plural(1, 'payment')).toBe('1 payment');
    expect(plural(2, 'discrepancy', 'discrepancies')).toBe('2 discrepancies');
  });

  it('acts on each handshake refusal of the /admin namespace by its code', () => {
    expect(refusalAction('TOKEN_EXPIRED')).toBe('refresh');
    expect(refusalAction('SESSION_REVOKED')).toBe('end-session');
    expect(refusalAction('INVALID_TOKEN')).toBe('end-session');
    expect(refusalAction('FORBIDDEN')).toBe('refuse');
    expect(refusalAction('NOT_READY')).toBe('retry');
    expect(refusalAction(undefined)).toBe('retry');
  });

  it('keeps one Idempotency-Key per adjustment intent: the same one reviewed again reuses it, a changed one gets a new key', () => {
    let n = 0;
    const key = () => `key-${++n}`;
    const body = { userId: 'u1', amount: 25, reason: 'goodwill' };
    const first = intentFor(null, body, key);
    expect(first.key).toBe('key-1');
    expect(intentFor(first, { ...body }, key).key).toBe('key-1');
    expect(intentFor(first, { ...body, amount: -25 }, key).key).toBe('key-2');
    expect(intentFor(first, { ...body, reason: 'goodwill!' }, key).key).toBe('key-3');
    expect(intentFor(first, { ...body, userId: 'u2' }, key).key).toBe('key-4');
  });

  it("words an adjustment's refusals for the admin, not the wallet's owner", () => {
    expect(adjustmentErrorText(new ApiError('INSUFFICIENT_CREDITS', 'x', 402))).toMatch(/^Their wallet holds fewer credits/);
    expect(adjustmentErrorText(new ApiError('FORBIDDEN', 'x', 403))).toBe('You are not allowed to do that.');
  });

  it('builds query strings of the set filters only', () => {
    expect(queryString({ userId: '', kind: 'purchase', key: undefined, cursor: null, limit: 25 })).toBe('?kind=purchase&limit=25');
    expect(queryString({})).toBe('');
  });
});
