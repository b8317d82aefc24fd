import { EARNING_SOURCES, type EarningSource, type EarningsDay } from '../../../shared/earnings.js';

/** Words for each source, in the order the chart stacks them. */
export const SOURCE_LABEL: Record<EarningSource, string> = {
  subscriptions: 'Subscriptions',
  ppv: 'Pay-per-view',
  tips: 'Tips',
  messages: 'Messages',
  calls: 'Calls',
  other: 'Other',
};

export interface ChartBox {
  width: number;
  height: number;
  pad: { left: number; right: number; top: number; bottom: number };
}

export interface Segment {
  source: EarningSource;
  value: number;
  y: number;
  height: number;
}

export interface Bar {
  day: string;
  total: number;
  x: number;
  width: number;
  segments: Segment[];
}

export interface StackedChart {
  bars: Bar[];
  yTicks: { value: number; y: number }[];
  /** The y of zero: positive days stack up from it, days with more taken back than earned stack down. */
  zeroY: number;
  /** Sources that appear at all, for the legend. */
  sources: EarningSource[];
}

/** A round step for about `count` ticks over `span`: 1, 2 or 5 times a power of ten. */
export function niceStep(span: number, count = 4): number {
  if (span <= 0) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  return Math.max(1, step);
}

/**
 * Stacked bars, one per day, one segment per source (credits are integers, so ticks are too).
 * Positive values stack upwards from zero and negative ones (clawbacks) downwards.
 */
export function stackedBars(days: EarningsDay[], box: ChartBox): StackedChart {
  const { left, right, top, bottom } = box.pad;
  const innerW = Math.max(1, box.width - left - right);
  const innerH = Math.max(1, box.height - top - bottom);
  let hi = 0;
  let lo = 0;
  for (const d of days) {
    let up = 0;
    let down = 0;
    for (const v of Object.values(d.bySource)) (v! >= 0 ? (up += v!) : (down += v!));
    hi = Math.max(hi, up);
    lo = Math.min(lo, down);
  }
  const step = niceStep(hi - lo || 1);
  const max = Math.max(step, Math.ceil(hi / step) * step);
  const min = Math.floor(lo / step) * step;
  const scale = innerH / (max - min);
  const yOf = (v: number) => top + (max - v) * scale;
  const slot = innerW / Math.max(1, days.length);
  const barW = Math.max(1, Math.min(28, slot * 0.7));
  const used = new Set<EarningSource>();
  const bars = days.map((d, i) => {
    let up = 0;
    let down = 0;
    const segments: Segment[] = [];
    for (const source of EARNING_SOURCES) {
      const value = d.bySource[source];
      if (!value) continue;
      used.add(source);
      const from = value > 0 ? up : down;
      const to = from + value;
      if (value > 0) up = to;
      else down = to;
      segments.push({ source, value, y: yOf(Math.max(from, to)), height: Math.abs(value) * scale });
    }
    return { day: d.day, total: d.total, x: left + i * slot + (slot - barW) / 2, width: barW, segments };
  });
  const yTicks = [];
  for (let v = min; v <= max; v += step) yTicks.push({ value: v, y: yOf(v) });
  return { bars, yTicks, zeroY: yOf(0), sources: EARNING_SOURCES.filter((s) => used.has(s)) };
}

/** The chart's text alternative: the range's total and its best day. */
export function chartSummary(days: EarningsDay[]): string {
  if (days.length === 0) return 'No days to show.';
  const total = days.reduce((n, d) => n + d.total, 0);
  const best = days.reduce((b, d) => (d.total > b.total ? d : b), days[0]!);
  const range = `${days[0]!.day} to ${days.at(-1)!.day}`;
  return total === 0 && best.total === 0
    ? `No earnings from ${range}.`
    : `Earnings from ${range}: ${total.toLocaleString()} credits in all; best day ${best.day} with ${best.total.toLocaleString()}.`;
}

/** The last `n` UTC days up to `now`'s, as the API's inclusive range. */
export function lastDays(n: number, now = new Date()): { from: string; to: string } {
  const to = now.toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (n - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to };
}

/** The last `n` UTC months, newest first (YYYY-MM), for the statement picker. */
export function lastMonths(n: number, now = new Date()): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}

/** "December 2026" for "2026-12". */
export function monthLabel(month: string): string {
  return new Date(`${month}-01T00:00:00Z`).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** A hold in words: "7 days", "1 hour", "none". */
export function holdText(seconds: number): string {
  if (seconds <= 0) return 'none';
  const units: [number, string][] = [[86_400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  const [size, name] = units.find(([s]) => seconds % s === 0 && seconds >= s)!;
  const n = seconds / size;
  return `${n} ${name}${n === 1 ? '' : 's'}`;
}
