import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import type { EarningsDay, EarningsStatement, EarningsSummary } from '../../../shared/earnings.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../components/ui.js';
import { chartSummary, holdText, lastDays, lastMonths, monthLabel, SOURCE_LABEL, stackedBars, type ChartBox } from '../lib/earnings-chart.js';
import { api } from '../lib/api.js';
import { saveFile } from '../lib/save-file.js';
import { errorText } from '../lib/error-text.js';
import { useSocketEvent } from '../lib/socket.js';
import './earnings.css';

/**
 * A creator's earnings, all read from the ledger: available / pending / lifetime, a chart by day
 * stacked by source, the sources, a month's statement and a CSV export. A `wallet:updated` push (a
 * tip, a paid message, a clawback) refreshes it.
 */
const RANGES = [7, 30, 90] as const;

export default function Earnings() {
  const qc = useQueryClient();
  useSocketEvent('wallet:updated', () => void qc.invalidateQueries({ queryKey: ['earnings'] }));
  const summary = useQuery({ queryKey: ['earnings', 'summary'], queryFn: async () => (await api<{ earnings: EarningsSummary }>('/api/earnings')).earnings });
  return (
    <section className="page earnings">
      <PageTitle>Earnings</PageTitle>
      <Totals summary={summary} />
      <div className="earnings-grid">
        <DailyChart />
        <Sources summary={summary.data} />
      </div>
      <Statement />
    </section>
  );
}

function Totals({ summary }: { summary: ReturnType<typeof useQuery<EarningsSummary>> }) {
  if (summary.isPending) return <Loading label="Loading your earnings" />;
  if (summary.isError) return <ErrorNote error={summary.error} retry={() => void summary.refetch()} />;
  const s = summary.data;
  return (
    <>
      <dl className="earnings-totals" data-testid="earnings-totals">
        <div className="card">
          <dt>Available</dt>
          <dd className={s.available < 0 ? 'negative' : undefined} data-testid="earnings-available">
            {s.available.toLocaleString()}
          </dd>
        </div>
        <div className="card">
          <dt>Pending</dt>
          <dd data-testid="earnings-pending">{s.pending.toLocaleString()}</dd>
        </div>
        <div className="card">
          <dt>Lifetime</dt>
          <dd data-testid="earnings-lifetime">{s.lifetime.toLocaleString()}</dd>
        </div>
      </dl>
      <p className="hint">
        In credits, after the platform fee.{' '}
        {s.holdSeconds > 0 ? `New earnings stay pending for ${holdText(s.holdSeconds)} (refunds and chargebacks land in that time), then become available.` : 'New earnings are available at once.'}
        {s.debited > 0 && ` ${s.debited.toLocaleString()} credits were taken back after fans' refunds.`}
        {s.paidOut > 0 && ` ${s.paidOut.toLocaleString()} credits went to payouts.`}
        {s.available < 0 && ' Your available balance is below zero: nothing can be paid out until new earnings cover it.'}
      </p>
    </>
  );
}

function Sources({ summary }: { summary: EarningsSummary | undefined }) {
  return (
    <section className="card" aria-labelledby="earnings-sources-title">
      <h2 id="earnings-sources-title" className="earnings-h2">
        By source
      </h2>
      {!summary ? null : summary.bySource.length === 0 ? (
        <Empty title="No earnings yet.">
          <p>Subscriptions, tips, paid posts, messages and calls show up here.</p>
        </Empty>
      ) : (
        <table className="earnings-table">
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col" className="num">Earned</th>
              <th scope="col" className="num">Pending</th>
              <th scope="col" className="num">Taken back</th>
            </tr>
          </thead>
          <tbody>
            {summary.bySource.map((s) => (
              <tr key={s.source}>
                <th scope="row">
                  <span className={`swatch src-${s.source}`} aria-hidden="true" /> {SOURCE_LABEL[s.source]}
                </th>
                <td className="num">{s.earned.toLocaleString()}</td>
                <td className="num">{s.pending.toLocaleString()}</td>
                <td className="num">{s.clawedBack.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The element's width, followed as it resizes, so the chart is drawn at its real size. */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([e]) => e && setWidth(Math.max(240, Math.round(e.contentRect.width))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width] as const;
}

function DailyChart() {
  const id = useId();
  const [days, setDays] = useState<(typeof RANGES)[number]>(30);
  const range = lastDays(days);
  const daily = useQuery({
    queryKey: ['earnings', 'daily', range.from, range.to],
    queryFn: async () => (await api<{ days: EarningsDay[] }>(`/api/earnings/daily?from=${range.from}&to=${range.to}`)).days,
  });
  const [ref, width] = useWidth(560);
  const box: ChartBox = { width, height: 200, pad: { left: 44, right: 8, top: 10, bottom: 24 } };
  const [csvError, setCsvError] = useState<unknown>(null);
  const download = async () => {
    setCsvError(null);
    try {
      const csv = await api<string>(`/api/earnings/export.csv?from=${range.from}&to=${range.to}`, { as: 'text' });
      saveFile(csv, 'text/csv', `earnings-${range.from}-${range.to}.csv`);
    } catch (err) {
      setCsvError(err);
    }
  };
  return (
    <section className="card earnings-chart" aria-labelledby={`${id}-title`}>
      <div className="earnings-chart-head">
        <h2 id={`${id}-title`} className="earnings-h2">
          By day
        </h2>
        <label className="earnings-range">
          <span>Range</span>
          <select value={days} onChange={(e) => setDays(Number(e.target.value) as (typeof RANGES)[number])}>
            {RANGES.map((n) => (
              <option key={n} value={n}>
                Last {n} days
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn btn-secondary" onClick={() => void download()}>
          Download CSV
        </button>
      </div>
      {csvError ? <p className="field-error" role="alert">{errorText(csvError)}</p> : null}
      <div ref={ref} className="earnings-chart-frame">
        {daily.isPending ? (
          <Loading label="Loading the chart" />
        ) : daily.isError ? (
          <ErrorNote error={daily.error} retry={() => void daily.refetch()} />
        ) : (
          <StackedChart days={daily.data} box={box} />
        )}
      </div>
    </section>
  );
}

function StackedChart({ days, box }: { days: EarningsDay[]; box: ChartBox }) {
  const g = stackedBars(days, box);
  const { left, right, bottom } = box.pad;
  const label = (day: string) => day.slice(5).replace('-', '/');
  const every = Math.ceil(days.length / Math.max(2, Math.floor((box.width - left - right) / 56)));
  return (
    <>
      <svg viewBox={`0 0 ${box.width} ${box.height}`} width={box.width} height={box.height} role="img" aria-label={chartSummary(days)} className="earnings-svg">
        {g.yTicks.map((t) => (
          <g key={t.value}>
            <line x1={left} x2={box.width - right} y1={t.y} y2={t.y} className="grid" />
            <text x={left - 6} y={t.y + 4} textAnchor="end" className="axis-label">
              {t.value.toLocaleString()}
            </text>
          </g>
        ))}
        <line x1={left} x2={box.width - right} y1={g.zeroY} y2={g.zeroY} className="axis" />
        {g.bars.map((b, i) => (
          <g key={b.day}>
            {b.segments.map((s) => (
              <rect key={s.source} x={b.x} width={b.width} y={s.y} height={Math.max(1, s.height)} className={`src-${s.source}`} />
            ))}
            {i % every === 0 && (
              <text x={b.x + b.width / 2} y={box.height - bottom + 16} textAnchor="middle" className="axis-label">
                {label(b.day)}
              </text>
            )}
          </g>
        ))}
      </svg>
      {g.sources.length > 0 && (
        <ul className="earnings-legend" aria-label="Sources">
          {g.sources.map((s) => (
            <li key={s}>
              <span className={`swatch src-${s}`} aria-hidden="true" /> {SOURCE_LABEL[s]}
            </li>
          ))}
        </ul>
      )}
      <table className="visually-hidden">
        <caption>Earnings by day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Credits</th>
          </tr>
        </thead>
        <tbody>
          {days
            .filter((d) => d.total !== 0)
            .map((d) => (
              <tr key={d.day}>
                <td>{d.day}</td>
                <td>{d.total}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </>
  );
}

function Statement() {
  const id = useId();
  const months = lastMonths(12);
  const [month, setMonth] = useState(months[0]!);
  const statement = useInfiniteQuery({
    queryKey: ['earnings', 'statement', month],
    initialPageParam: 0,
    queryFn: async ({ pageParam }) =>
      (await api<{ statement: EarningsStatement }>(`/api/earnings/statement?month=${month}&limit=50${pageParam ? `&cursor=${pageParam}` : ''}`)).statement,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const first = statement.data?.pages[0];
  const lines = statement.data?.pages.flatMap((p) => p.lines) ?? [];
  return (
    <section className="card earnings-statement" aria-labelledby={`${id}-title`}>
      <div className="earnings-chart-head">
        <h2 id={`${id}-title`} className="earnings-h2">
          Statement
        </h2>
        <label className="earnings-range">
          <span>Month</span>
          <select value={month} onChange={(e) => setMonth(e.target.value)}>
            {months.map((m) => (
              <option key={m} value={m}>
                {monthLabel(m)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {statement.isPending ? (
        <Loading label="Loading the statement" />
      ) : statement.isError && !first ? (
        <ErrorNote error={statement.error} retry={() => void statement.refetch()} />
      ) : lines.length === 0 ? (
        <Empty title={`Nothing in ${monthLabel(month)}.`} />
      ) : (
        <>
          <p className="earnings-statement-total" data-testid="statement-total">
            Fans paid {first!.totals.gross.toLocaleString()} credits, the platform fee was {first!.totals.fee.toLocaleString()}, you earned{' '}
            <strong>{first!.totals.share.toLocaleString()}</strong>
            {first!.totals.clawedBack > 0 && ` after ${first!.totals.clawedBack.toLocaleString()} taken back`}.
          </p>
          <div className="earnings-table-wrap">
            <table className="earnings-table">
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Source</th>
                  <th scope="col" className="num">Paid</th>
                  <th scope="col" className="num">Fee</th>
                  <th scope="col" className="num">You</th>
                </tr>
              </thead>
              <tbody>
                {lines.map((l) => (
                  <tr key={l.id}>
                    <td>
                      <time dateTime={l.createdAt}>{new Date(l.createdAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</time>
                    </td>
                    <td>{l.kind === 'clawback' ? `${SOURCE_LABEL[l.source]} (taken back)` : SOURCE_LABEL[l.source]}</td>
                    <td className="num">{l.gross.toLocaleString()}</td>
                    <td className="num">{l.fee.toLocaleString()}</td>
                    <td className="num">{l.share.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {statement.isError && <ErrorNote error={statement.error} retry={() => void statement.fetchNextPage()} />}
          {statement.hasNextPage && (
            <button type="button" className="btn btn-secondary more" onClick={() => void statement.fetchNextPage()} disabled={statement.isFetchingNextPage}>
              {statement.isFetchingNextPage ? 'Loading…' : 'Show more'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
