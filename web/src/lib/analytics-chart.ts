import { niceStep, type ChartBox } from './earnings-chart.js';

/** Layout and words for the analytics charts (admin Analytics tab, the studio's Analytics): no React, no DOM. */

export interface DayPoint {
  day: string;
  value: number;
}

export interface DayBar extends DayPoint {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DayBars {
  bars: DayBar[];
  yTicks: { value: number; y: number }[];
  /** Every value is zero: the caller shows its empty state instead of a flat chart. */
  empty: boolean;
}

/** One bar per day, from zero up (figures are counts and sums, never negative; a negative one is drawn as zero). */
export function dayBars(points: DayPoint[], box: ChartBox): DayBars {
  const { left, right, top, bottom } = box.pad;
  const plotW = Math.max(1, box.width - left - right);
  const plotH = Math.max(1, box.height - top - bottom);
  const max = Math.max(0, ...points.map((p) => p.value));
  const step = niceStep(max);
  const ceiling = Math.max(step, Math.ceil(max / step) * step);
  const slot = points.length ? plotW / points.length : plotW;
  const width = Math.max(1, slot * 0.7);
  const y = (v: number) => top + plotH - (Math.max(0, v) / ceiling) * plotH;
  const bars = points.map((p, i) => ({ ...p, x: left + i * slot + (slot - width) / 2, y: y(p.value), width, height: top + plotH - y(p.value) }));
  const yTicks: DayBars['yTicks'] = [];
  for (let v = 0; v <= ceiling + step / 2; v += step) yTicks.push({ value: v, y: y(v) });
  return { bars, yTicks, empty: max === 0 };
}

/** The inclusive UTC days of the last `days` days, today included. */
export function lastDays(days: number, now = new Date()): { from: string; to: string } {
  const to = now.toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to };
}

const number = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en') : n.toLocaleString('en', { maximumFractionDigits: 1 }));

/** What a screen reader hears for a chart: the latest value and the highest day. */
export function daySummary(title: string, points: DayPoint[]): string {
  if (points.length === 0) return `${title}: no days`;
  const last = points.at(-1)!;
  const top = points.reduce((a, b) => (b.value > a.value ? b : a));
  return `${title} over ${points.length} days: ${number(last.value)} on ${last.day}, highest ${number(top.value)} on ${top.day}`;
}

/** A share as a whole percent, or a dash when there is nothing to divide by. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : '–';
}

export interface FunnelStep {
  label: string;
  users: number;
  /** Of the sign-ups. */
  share: string;
}

/** The funnel of everyone who signed up in the range: summed over its days. */
export function funnelSteps(days: Array<Record<'funnel.signup' | 'funnel.verified' | 'funnel.purchased' | 'funnel.paid_action', number>>): FunnelStep[] {
  const sum = (k: keyof (typeof days)[number]) => days.reduce((s, d) => s + d[k], 0);
  const signup = sum('funnel.signup');
  return [
    { label: 'Signed up', users: signup, share: percent(signup, signup) },
    { label: 'Verified their email', users: sum('funnel.verified'), share: percent(sum('funnel.verified'), signup) },
    { label: 'Bought credits', users: sum('funnel.purchased'), share: percent(sum('funnel.purchased'), signup) },
    { label: 'Paid for something', users: sum('funnel.paid_action'), share: percent(sum('funnel.paid_action'), signup) },
  ];
}

/**
 * Retention of the range's cohorts after `offset` days: those active again over those who signed up, counting
 * only cohorts whose day + offset is over (a later day has no figure yet, which is not 0%).
 */
export function retention(days: Array<{ day: string; 'funnel.signup': number } & Record<'retention.d1' | 'retention.d7' | 'retention.d30', number>>, offset: 1 | 7 | 30, today: string): string {
  const over = days.filter((d) => Date.parse(`${d.day}T00:00:00Z`) + (offset + 1) * 86_400_000 <= Date.parse(`${today}T00:00:00Z`));
  return percent(
    over.reduce((s, d) => s + d[`retention.d${offset}`], 0),
    over.reduce((s, d) => s + d['funnel.signup'], 0),
  );
}
