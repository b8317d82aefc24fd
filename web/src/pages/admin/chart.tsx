import { useEffect, useId, useRef, useState, type RefObject } from 'react';
import { chartGeometry, samples, seriesSummary, type ChartBox, type SeriesPoint } from '../../lib/admin-series.js';

const HEIGHT = 180;
const PAD: ChartBox['pad'] = { left: 40, right: 14, top: 12, bottom: 24 };

/** The element's width in CSS pixels, followed as it resizes: the chart is drawn at its real size, so labels keep theirs. */
function useWidth<T extends Element>(fallback: number): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(200, Math.round(entry.contentRect.width)));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

const axisNumber = (n: number) => (Number.isInteger(n) ? n.toLocaleString() : n.toLocaleString(undefined, { maximumFractionDigits: 1 }));
const clock = (t: number) => new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * One value of the live series as a line over the last few minutes, drawn
 * by hand in SVG (no chart library in the bundle). Screen readers get the
 * summary as the image's label and the recent values as a hidden table.
 */
export function LiveChart({ title, series, value, tone }: { title: string; series: SeriesPoint[]; value: (p: SeriesPoint) => number; tone: 'accent' | 'accent-2' }) {
  const id = useId();
  const [ref, width] = useWidth<HTMLDivElement>(560);
  const BOX: ChartBox = { width, height: HEIGHT, pad: PAD };
  const g = chartGeometry(series, value, BOX);
  const summary = seriesSummary(title, series, value, axisNumber);
  const table = samples(series, 15, 12);
  const { left, right, top, bottom } = BOX.pad;
  return (
    <figure className={`chart chart-${tone}`} aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} className="chart-title">
        <span>{title}</span>
        <strong className="chart-now">{g.last ? axisNumber(g.last.value) : '–'}</strong>
      </figcaption>
      <div ref={ref} className="chart-frame">
      <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} width={BOX.width} height={BOX.height} role="img" aria-label={summary} className="chart-svg">
        {g.yTicks.map((t) => (
          <g key={t.value}>
            <line x1={left} x2={BOX.width - right} y1={t.y} y2={t.y} className="chart-grid" />
            <text x={left - 6} y={t.y + 4} textAnchor="end" className="chart-label">
              {axisNumber(t.value)}
            </text>
          </g>
        ))}
        {g.xTicks.map((t) => (
          <text key={t.minutesAgo} x={t.x} y={BOX.height - bottom + 17} textAnchor={t.minutesAgo === 0 ? 'end' : 'middle'} className="chart-label">
            {t.minutesAgo === 0 ? 'now' : `−${t.minutesAgo} min`}
          </text>
        ))}
        <line x1={left} x2={left} y1={top} y2={BOX.height - bottom} className="chart-axis" />
        {g.area && <path d={g.area} className="chart-area" />}
        {g.line && <path d={g.line} className="chart-line" />}
        {g.last && <circle cx={g.last.x} cy={g.last.y} r={3.5} className="chart-dot" />}
      </svg>
      </div>
      <table className="visually-hidden">
        <caption>{title}, recent values</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">{title}</th>
          </tr>
        </thead>
        <tbody>
          {table.map((p) => (
            <tr key={p.t}>
              <td>{clock(p.t)}</td>
              <td>{axisNumber(value(p))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
