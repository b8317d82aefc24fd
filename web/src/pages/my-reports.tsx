import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import type { ReportView } from '../../../shared/reports.js';
import { LoadMore } from '../components/load-more.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../components/ui.js';
import { api } from '../lib/api.js';
import { REASON_TEXT } from '../lib/moderation-text.js';
import { useSocketEvent } from '../lib/socket.js';

const STATUS_TEXT: Record<ReportView['status'], string> = { open: 'Waiting for a moderator', actioned: 'Action taken', dismissed: 'No rule broken' };
const myReportsKey = ['reports', 'mine'] as const;

/** /reports: what I reported and what came of it, newest first; a decision on one refreshes it live (report:decided). */
export default function MyReports() {
  const qc = useQueryClient();
  const list = useInfiniteQuery({
    queryKey: myReportsKey,
    queryFn: ({ pageParam }) => api<{ reports: ReportView[]; nextCursor: number | null }>(`/api/reports/mine?limit=30${pageParam ? `&cursor=${pageParam}` : ''}`),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  useSocketEvent('report:decided', () => void qc.invalidateQueries({ queryKey: myReportsKey }));
  const rows = list.data?.pages.flatMap((p) => p.reports) ?? [];
  return (
    <section className="page narrow">
      <PageTitle>Your reports</PageTitle>
      {list.isPending ? (
        <Loading label="Loading your reports" />
      ) : list.error ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title="You have not reported anything." />
      ) : (
        <ul className="card">
          {rows.map((r) => (
            <li key={r.id}>
              <strong>{REASON_TEXT[r.reason]}</strong> · a {r.subject.replace('_', ' ')} · {new Date(r.createdAt).toLocaleString()} · {STATUS_TEXT[r.status]}
            </li>
          ))}
        </ul>
      )}
      <LoadMore list={list} />
    </section>
  );
}
