import { useId, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { CreatorAnalytics, CreatorMetric } from '../../../shared/analytics.js';
import { lastDays } from '../lib/analytics-chart.js';
import { api } from '../lib/api.js';
import { DayChart } from './day-chart.js';
import { StudioCard } from './studio-form.js';
import { ErrorNote, Loading } from './ui.js';

const CHARTS: { metric: CreatorMetric; title: string }[] = [
  { metric: 'followers', title: 'Followers' },
  { metric: 'new_followers', title: 'New followers' },
  { metric: 'subscribers', title: 'Subscribers' },
  { metric: 'churned', title: 'Subscriptions ended' },
  { metric: 'earnings', title: 'Earnings (credits)' },
];

/** The creator's own figures per day (GET /api/creator/analytics), rolled up hourly. */
export function StudioAnalytics() {
  const [range, setRange] = useState<30 | 90>(30);
  const rangeId = useId();
  const { from, to } = lastDays(range);
  const q = useQuery({ queryKey: ['creator', 'analytics', from, to], queryFn: async () => (await api<{ analytics: CreatorAnalytics }>(`/api/creator/analytics?from=${from}&to=${to}`)).analytics });
  return (
    <StudioCard title="Analytics">
      <div className="field inline-field">
        <label htmlFor={rangeId}>Days</label>
        <select id={rangeId} value={range} onChange={(e) => setRange(Number(e.target.value) as 30 | 90)}>
          <option value={30}>Last 30 days</option>
          <option value={90}>Last 90 days</option>
        </select>
      </div>
      {q.isPending ? (
        <Loading label="Loading your analytics" />
      ) : q.error ? (
        <ErrorNote error={q.error} retry={() => void q.refetch()} />
      ) : (
        <div className="day-charts">
          {CHARTS.map((c) => (
            <DayChart key={c.metric} title={c.title} points={q.data.days.map((d) => ({ day: d.day, value: d[c.metric] }))} empty="Nothing in these days yet: figures appear within the hour." />
          ))}
        </div>
      )}
    </StudioCard>
  );
}
