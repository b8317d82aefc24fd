import { useId, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { AdminAnalytics, AdminMetric } from '../../../../shared/analytics.js';
import { DayChart } from '../../components/day-chart.js';
import { ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { adminKeys, queryString } from '../../lib/admin-api.js';
import { funnelSteps, lastDays, retention } from '../../lib/analytics-chart.js';
import { api } from '../../lib/api.js';
import { errorText } from '../../lib/error-text.js';
import { NoticeLine, type Notice } from './notice-line.js';

const RANGES = [7, 30, 90] as const;

const CHARTS: { metric: AdminMetric; title: string }[] = [
  { metric: 'dau', title: 'Daily active users' },
  { metric: 'wau', title: 'Weekly active users' },
  { metric: 'mau', title: 'Monthly active users' },
  { metric: 'events.signup', title: 'Sign-ups' },
  { metric: 'revenue.sold', title: 'Credits sold' },
  { metric: 'revenue.spend', title: 'Credits spent' },
  { metric: 'revenue.take', title: 'Platform take (credits)' },
  { metric: 'revenue.arppu', title: 'Credits bought per buyer' },
];

/** GET /api/admin/analytics over the last 7, 30 or 90 days; POST …/rollup to roll the range up again. */
export function AdminAnalyticsPage() {
  const [range, setRange] = useState<(typeof RANGES)[number]>(30);
  const [notice, setNotice] = useState<Notice | null>(null);
  const rangeId = useId();
  const { from, to } = lastDays(range);
  const q = useQuery({ queryKey: adminKeys.analytics(from, to), queryFn: async () => (await api<{ analytics: AdminAnalytics }>(`/api/admin/analytics${queryString({ from, to })}`)).analytics });
  const rollup = useMutation({
    // At most 62 days a request: the last 62 of a longer range.
    mutationFn: () => api<{ days: string[] }>('/api/admin/analytics/rollup', { method: 'POST', body: range > 62 ? lastDays(62) : { from, to } }),
    onSuccess: (r) => setNotice({ ok: true, text: `${r.days.length} days are being rolled up again; reload in a moment to see them.` }),
    onError: (err) => setNotice({ ok: false, text: `The roll-up could not be queued: ${errorText(err)}` }),
  });
  const days = q.data?.days ?? [];
  return (
    <section className="page admin-page">
      <PageTitle>Analytics</PageTitle>
      <p className="hint lead-hint">Figures per UTC day, rolled up every hour from the event log and the ledger. Today fills in through the day.</p>
      <div className="section-head">
        <div className="field inline-field">
          <label htmlFor={rangeId}>Days</label>
          <select id={rangeId} value={range} onChange={(e) => setRange(Number(e.target.value) as (typeof RANGES)[number])}>
            {RANGES.map((r) => (
              <option key={r} value={r}>
                Last {r} days
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="btn" disabled={rollup.isPending} onClick={() => rollup.mutate()}>
          {rollup.isPending ? 'Queuing…' : 'Roll these days up again'}
        </button>
      </div>
      <NoticeLine notice={notice} />
      {q.isPending ? (
        <Loading label="Loading analytics" />
      ) : q.error ? (
        <ErrorNote error={q.error} retry={() => void q.refetch()} />
      ) : (
        <>
          <div className="day-charts">
            {CHARTS.map((c) => (
              <DayChart key={c.metric} title={c.title} points={days.map((d) => ({ day: d.day, value: d[c.metric] }))} />
            ))}
          </div>
          <div className="admin-columns">
            <section className="admin-section" aria-labelledby="funnel-title">
              <h2 id="funnel-title">Funnel of these days' sign-ups</h2>
              <table className="admin-table">
                <thead>
                  <tr>
                    <th scope="col">Step</th>
                    <th scope="col">Users</th>
                    <th scope="col">Of sign-ups</th>
                  </tr>
                </thead>
                <tbody>
                  {funnelSteps(days).map((s) => (
                    <tr key={s.label}>
                      <td>{s.label}</td>
                      <td>{s.users.toLocaleString()}</td>
                      <td>{s.share}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section className="admin-section" aria-labelledby="retention-title">
              <h2 id="retention-title">Retention of these days' sign-ups</h2>
              <table className="admin-table">
                <thead>
                  <tr>
                    <th scope="col">Active again after</th>
                    <th scope="col">Of sign-ups</th>
                  </tr>
                </thead>
                <tbody>
                  {([1, 7, 30] as const).map((n) => (
                    <tr key={n}>
                      <td>
                        {n} day{n > 1 ? 's' : ''}
                      </td>
                      <td>{retention(days, n, to)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        </>
      )}
    </section>
  );
}
