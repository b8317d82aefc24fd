import { useId, useState } from 'react';
import { DecideForm } from './decide-form.js';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { PAYOUT_STATUSES, type AdminPayoutView, type BatchApproveResult, type PayoutStatus } from '../../../../shared/payouts.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { queryString } from '../../lib/admin-api.js';
import { dateTime } from '../../lib/admin-format.js';
import { api } from '../../lib/api.js';
import { errorText } from '../../lib/error-text.js';
import { NoticeLine, type Notice } from './notice-line.js';
import { money, PROVIDER_LABEL, STATUS_LABEL } from '../../lib/payouts-format.js';
import '../payouts.css';

type Page = { payouts: AdminPayoutView[]; nextCursor: string | null };

/** /admin/payouts: the approval queue (oldest first): approve one, several at once, or reject with a reason the creator reads. */
export function AdminPayouts() {
  const qc = useQueryClient();
  const [status, setStatus] = useState<PayoutStatus>('requested');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<Notice | null>(null);
  const statusId = useId();
  const list = useInfiniteQuery({
    queryKey: ['admin', 'payouts', status],
    queryFn: ({ pageParam }) => api<Page>(`/api/admin/payouts${queryString({ status, limit: 50, cursor: pageParam })}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const done = () => {
    setSelected(new Set());
    void qc.invalidateQueries({ queryKey: ['admin', 'payouts'] });
  };
  const batch = useMutation({
    mutationFn: (ids: string[]) => api<BatchApproveResult>('/api/admin/payouts/approve', { method: 'POST', body: { ids } }),
    onSuccess: (r) => setNotice({ ok: r.refused.length === 0, text: `${r.approved.length} approved${r.refused.length ? `, ${r.refused.length} could not be (${r.refused.map((f) => errorText({ code: f.code })).join(' ')})` : ''}.` }),
    onError: (err) => setNotice({ ok: false, text: errorText(err) }),
    onSettled: done,
  });
  const decide = useMutation({
    mutationFn: (d: { p: AdminPayoutView; reason: string | null }) =>
      api<{ payout: AdminPayoutView }>(`/api/admin/payouts/${d.p.id}/${d.reason === null ? 'approve' : 'reject'}`, { method: 'POST', body: d.reason === null ? {} : { reason: d.reason } }),
    onSuccess: (r, d) => setNotice({ ok: true, text: `${d.p.creator.displayName ?? 'The creator'}'s payout of ${d.p.credits.toLocaleString()} credits is ${r.payout.status}.` }),
    onError: (err, d) => setNotice({ ok: false, text: `${d.p.creator.displayName ?? d.p.id}: ${errorText(err)}` }),
    onSettled: done,
  });
  const rows = list.data?.pages.flatMap((p) => p.payouts) ?? [];
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  return (
    <section className="page admin-page admin-payouts">
      <PageTitle>Payouts</PageTitle>
      <p className="hint lead-hint">Creators' payout requests, oldest first. The credits are set aside at request; approving sends the money, rejecting gives the credits back.</p>
      <section className="admin-section" aria-labelledby="payouts-title">
        <div className="section-head">
          <h2 id="payouts-title">{STATUS_LABEL[status]}</h2>
          <div className="field inline-field">
            <label htmlFor={statusId}>Show</label>
            <select id={statusId} value={status} onChange={(e) => (setStatus(e.target.value as PayoutStatus), setSelected(new Set()))}>
              {PAYOUT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </select>
          </div>
        </div>
        <NoticeLine notice={notice} />
        {status === 'requested' && rows.length > 0 && (
          <button type="button" className="btn btn-primary" disabled={selected.size === 0 || batch.isPending} onClick={() => batch.mutate([...selected])}>
            Approve selected ({selected.size})
          </button>
        )}
        {list.isPending ? (
          <Loading label="Loading payouts" />
        ) : list.error ? (
          <ErrorNote error={list.error} retry={() => void list.refetch()} />
        ) : rows.length === 0 ? (
          <Empty title={status === 'requested' ? 'No payout is waiting for approval.' : `No payouts ${STATUS_LABEL[status].toLowerCase()}.`} />
        ) : (
          <ul className="dl-list">
            {rows.map((p) => (
              <PayoutItem
                key={p.id}
                p={p}
                selected={selected.has(p.id)}
                onToggle={() => toggle(p.id)}
                busy={decide.isPending && decide.variables?.p.id === p.id}
                onDecide={(reason) => decide.mutate({ p, reason })}
              />
            ))}
          </ul>
        )}
        {list.hasNextPage && (
          <button type="button" className="btn btn-secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        )}
      </section>
    </section>
  );
}

function PayoutItem({ p, selected, onToggle, busy, onDecide }: { p: AdminPayoutView; selected: boolean; onToggle: () => void; busy: boolean; onDecide: (reason: string | null) => void }) {
  const who = p.creator.displayName ?? p.creator.id;
  const label = `${who}: ${p.credits.toLocaleString()} credits`;
  return (
    <li className="dl-item" aria-label={`Payout of ${label}`}>
      <div className="dl-main">
        <p className="dl-title">
          {p.status === 'requested' && (
            <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`Select the payout of ${label}`} />
          )}{' '}
          <strong>{who}</strong> · {p.credits.toLocaleString()} credits → {money(p.amountMinor, p.currency)} by {PROVIDER_LABEL[p.provider]}
        </p>
        <p className="hint">
          {p.status !== 'requested' && `${STATUS_LABEL[p.status]} · `}requested {dateTime(p.requestedAt)}
          {p.automatic && ' · automatic'}
          {p.providerRef && ` · ${p.providerRef}`}
          {p.reason && ` · ${p.reason}`}
        </p>
        {p.status === 'requested' && <DecideForm label={`the payout of ${label}`} busy={busy} onDecide={onDecide} />}
      </div>
    </li>
  );
}
