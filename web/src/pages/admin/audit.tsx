import { useId, useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { AuditEntryView } from '../../../../shared/reports.js';
import { LoadMore } from '../../components/load-more.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { queryString } from '../../lib/admin-api.js';
import { dateTime, detailsText } from '../../lib/admin-format.js';
import { api } from '../../lib/api.js';

type Filters = { actorId: string; targetId: string; action: string };
const NONE: Filters = { actorId: '', targetId: '', action: '' };

/** /admin/audit: every audited action, newest first, by who did it, whom it was about and what it was. */
export function AdminAudit() {
  const [draft, setDraft] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const ids = { actor: useId(), target: useId(), action: useId() };
  const list = useInfiniteQuery({
    queryKey: ['admin', 'audit', filters],
    queryFn: ({ pageParam }) => api<{ entries: AuditEntryView[]; nextCursor: number | null }>(`/api/admin/audit${queryString({ ...filters, limit: 50, cursor: pageParam })}`),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const rows = list.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <section className="page admin-page">
      <PageTitle>Audit log</PageTitle>
      <form
        className="section-head"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ actorId: draft.actorId.trim(), targetId: draft.targetId.trim(), action: draft.action.trim() });
        }}
      >
        <div className="field inline-field">
          <label htmlFor={ids.actor}>Actor id</label>
          <input id={ids.actor} value={draft.actorId} onChange={(e) => setDraft({ ...draft, actorId: e.target.value })} />
        </div>
        <div className="field inline-field">
          <label htmlFor={ids.target}>Target user id</label>
          <input id={ids.target} value={draft.targetId} onChange={(e) => setDraft({ ...draft, targetId: e.target.value })} />
        </div>
        <div className="field inline-field">
          <label htmlFor={ids.action}>Action</label>
          <input id={ids.action} value={draft.action} placeholder="admin.decision" onChange={(e) => setDraft({ ...draft, action: e.target.value })} />
        </div>
        <button type="submit" className="btn btn-secondary">
          Filter
        </button>
      </form>
      {list.isPending ? (
        <Loading label="Loading the audit log" />
      ) : list.error ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title="No entries." />
      ) : (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.id}>
                <td>{dateTime(e.createdAt)}</td>
                <td>{e.action}</td>
                <td>{e.actorId ?? 'system'}</td>
                <td>{e.targetId ?? ''}</td>
                <td>{detailsText(e.meta)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore list={list} />
    </section>
  );
}
