import { useEffect, useId, useRef, useState } from 'react';
import type { ChartBox } from '../lib/earnings-chart.js';
import { dayBars, daySummary, type DayPoint } from '../lib/analytics-chart.js';
import './day-chart.css';

const HEIGHT = 160;
const PAD: ChartBox['pad'] = { left: 44, right: 10, top: 10, bottom: 22 };
const axis = (n: number) => (Number.isInteger(n) ? n.toLocaleString() : n.toLocaleString(undefined, { maximumFractionDigits: 1 }));

/**
 * One daily figure as bars, drawn by hand in SVG (no chart library). Screen readers get the summary as the
 * image's label and every day's value in a hidden table; a range where every value is zero says so instead.
 */
export function DayChart({ title, points, empty = 'Nothing yet in these days.' }: { title: string; points: DayPoint[]; empty?: string }) {
  const id = useId();
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(480);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(200, Math.round(entry.contentRect.width)));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const box: ChartBox = { width, height: HEIGHT, pad: PAD };
  const g = dayBars(points, box);
  const last = points.at(-1);
  return (
    <figure className="day-chart" aria-labelledby={`${id}-t`}>
      <figcaption id={`${id}-t`} className="day-chart-title">
        <span>{title}</span>
        <strong>{last ? axis(last.value) : '–'}</strong>
      </figcaption>
      <div ref={ref} className="day-chart-frame">
        {g.empty ? (
          <p className="hint">{empty}</p>
        ) : (
          <svg viewBox={`0 0 ${width} ${HEIGHT}`} width={width} height={HEIGHT} role="img" aria-label={daySummary(title, points)}>
            {g.yTicks.map((t) => (
              <g key={t.value}>
                <line x1={PAD.left} x2={width - PAD.right} y1={t.y} y2={t.y} className="day-chart-grid" />
                <text x={PAD.left - 6} y={t.y + 4} textAnchor="end" className="day-chart-label">
                  {axis(t.value)}
                </text>
              </g>
            ))}
            {g.bars.map((b) => (
              <rect key={b.day} x={b.x} y={b.y} width={b.width} height={b.height} className="day-chart-bar" />
            ))}
            {points.length > 0 && (
              <>
                <text x={PAD.left} y={HEIGHT - 6} className="day-chart-label">
                  {points[0]!.day}
                </text>
                <text x={width - PAD.right} y={HEIGHT - 6} textAnchor="end" className="day-chart-label">
                  {points.at(-1)!.day}
                </text>
              </>
            )}
          </svg>
        )}
      </div>
      <table className="visually-hidden">
        <caption>{title} by day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">{title}</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.day}>
              <td>{p.day}</td>
              <td>{axis(p.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
