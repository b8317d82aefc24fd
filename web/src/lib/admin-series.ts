import type { AdminSnapshot } from '../../../shared/admin.js';

/**
 * The dashboard's rolling history: one point per snapshot the /admin
 * namespace pushes (at most one a second), kept for a few minutes, and the
 * geometry of a line chart over it. Pure functions, so they run in node
 * tests; the chart component only draws what these return.
 */

export interface SeriesPoint {
  /** Server time of the snapshot, epoch ms. */
  t: number;
  online: number;
  messagesPerSecond: number;
}

export const WINDOW_MS = 3 * 60_000;

/** Two pushes further apart than this mean the socket was down in between: the line breaks there. */
export const GAP_MS = 3_500;

/**
 * Appends a snapshot. The window is measured back from the newest point (server
 * time), so a client clock that is off changes nothing. A snapshot not newer
 * than the last one (a repeat after a reconnect) is dropped.
 */
export function appendSnapshot(series: readonly SeriesPoint[], s: Pick<AdminSnapshot, 'at' | 'onlineUsers' | 'messagesPerSecond'>, windowMs = WINDOW_MS): SeriesPoint[] {
  const t = Date.parse(s.at);
  if (!Number.isFinite(t)) return series as SeriesPoint[];
  const last = series.at(-1);
  if (last && t <= last.t) return series as SeriesPoint[];
  const next = [...series, { t, online: s.onlineUsers, messagesPerSecond: s.messagesPerSecond }];
  const from = t - windowMs;
  const first = next.findIndex((p) => p.t >= from);
  return first > 0 ? next.slice(first) : next;
}

/**
 * The smallest "nice" axis maximum at or above v (1, 2, 4, 6 or 8 times a
 * power of ten), at least `floor`. From the default floor of 2 up it is even,
 * so the middle grid line is a whole number too (these are counts).
 */
export function niceMax(v: number, floor = 2): number {
  const target = Math.max(v, floor);
  const mag = 10 ** Math.floor(Math.log10(target));
  for (const step of [1, 2, 4, 6, 8, 10]) {
    if (step * mag >= target) return step * mag;
  }
  return 10 * mag;
}

export interface ChartBox {
  width: number;
  height: number;
  /** Room for axis labels: left, right, top, bottom. */
  pad: { left: number; right: number; top: number; bottom: number };
}

export interface ChartGeometry {
  /** SVG path data ("M x y L x y …"), broken into separate runs across gaps. */
  line: string;
  /** The same runs closed down to the baseline, for a light fill. */
  area: string;
  yMax: number;
  /** Horizontal grid lines: value and y position. */
  yTicks: { value: number; y: number }[];
  /** Vertical grid lines: minutes before the newest point and x position. */
  xTicks: { minutesAgo: number; x: number }[];
  /** The newest point's position (for a dot), when there is one. */
  last: { x: number; y: number; value: number } | null;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Where each point of one value of the series goes in a box whose right edge is the newest point. */
export function chartGeometry(series: readonly SeriesPoint[], value: (p: SeriesPoint) => number, box: ChartBox, windowMs = WINDOW_MS, floor = 2): ChartGeometry {
  const { width, height, pad } = box;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const baseline = pad.top + plotH;
  const yMax = niceMax(Math.max(0, ...series.map(value)), floor);
  const end = series.at(-1)?.t ?? 0;
  const x = (t: number) => round(pad.left + plotW * (1 - (end - t) / windowMs));
  const y = (v: number) => round(baseline - (plotH * Math.max(0, v)) / yMax);

  const runs: SeriesPoint[][] = [];
  for (const p of series) {
    const run = runs.at(-1);
    const prev = run?.at(-1);
    if (!run || !prev || p.t - prev.t > GAP_MS) runs.push([p]);
    else run.push(p);
  }
  const line = runs.map((run) => run.map((p, i) => `${i ? 'L' : 'M'}${x(p.t)} ${y(value(p))}`).join(' ')).join(' ');
  const area = runs
    .filter((run) => run.length > 1)
    .map((run) => `M${x(run[0]!.t)} ${baseline} ${run.map((p) => `L${x(p.t)} ${y(value(p))}`).join(' ')} L${x(run.at(-1)!.t)} ${baseline} Z`)
    .join(' ');

  const yTicks = [0, 0.5, 1].map((f) => ({ value: yMax * f, y: y(yMax * f) }));
  const minutes = Math.round(windowMs / 60_000);
  const xTicks = Array.from({ length: minutes + 1 }, (_, i) => ({ minutesAgo: minutes - i, x: round(pad.left + (plotW * i) / minutes) }));
  const newest = series.at(-1);
  return { line, area, yMax, yTicks, xTicks, last: newest ? { x: x(newest.t), y: y(value(newest)), value: value(newest) } : null };
}

export interface SeriesStats {
  now: number;
  min: number;
  max: number;
  /** Seconds the series covers (newest minus oldest point). */
  spanSeconds: number;
}

export function seriesStats(series: readonly SeriesPoint[], value: (p: SeriesPoint) => number): SeriesStats | null {
  const last = series.at(-1);
  if (!last) return null;
  const values = series.map(value);
  return { now: value(last), min: Math.min(...values), max: Math.max(...values), spanSeconds: Math.round((last.t - series[0]!.t) / 1000) };
}

function spanText(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} minutes`;
}

/** The chart in one sentence, for its aria-label: what it shows now and over its span. */
export function seriesSummary(label: string, series: readonly SeriesPoint[], value: (p: SeriesPoint) => number, format: (n: number) => string = String): string {
  const s = seriesStats(series, value);
  if (!s) return `${label}: no data yet.`;
  if (s.spanSeconds === 0) return `${label}: ${format(s.now)} now.`;
  return `${label} over the last ${spanText(s.spanSeconds)}: ${format(s.now)} now, lowest ${format(s.min)}, highest ${format(s.max)}.`;
}

/** Every nth point counted back from the newest (a compact data table beside the chart). */
export function samples(series: readonly SeriesPoint[], everySeconds: number, count: number): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  const last = series.at(-1);
  if (!last) return out;
  let next = last.t;
  for (let i = series.length - 1; i >= 0 && out.length < count; i--) {
    const p = series[i]!;
    if (p.t <= next) {
      out.push(p);
      next = p.t - everySeconds * 1000 + 500;
    }
  }
  return out;
}
