import { useId, useState } from 'react';
import { DecideForm } from './decide-form.js';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type { AdminVerificationView, VerificationQueuePage, VerificationStatus } from '../../../../shared/verification.js';
import { Media } from '../../components/media.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { queryString } from '../../lib/admin-api.js';
import { dateTime } from '../../lib/admin-format.js';
import { api } from '../../lib/api.js';
import { errorText } from '../../lib/error-text.js';
import { NoticeLine, type Notice } from './notice-line.js';
import '../verification.css';

const queueKey = (status: VerificationStatus) => ['admin', 'verifications', status] as const;
const STATUS_TEXT: Record<VerificationStatus, string> = { pending: 'Waiting for review', approved: 'Approved', rejected: 'Rejected' };

/** /admin/verification: creators' identity and age checks, oldest first; approve, or reject with a reason the creator reads. */
export function Verifications() {
  const qc = useQueryClient();
  const [status, setStatus] = useState<VerificationStatus>('pending');
  const [notice, setNotice] = useState<Notice | null>(null);
  const statusId = useId();
  const list = useInfiniteQuery({
    queryKey: queueKey(status),
    queryFn: ({ pageParam }) => api<VerificationQueuePage>(`/api/admin/verifications${queryString({ status, limit: 20, cursor: pageParam })}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const decide = useMutation({
    mutationFn: (d: { v: AdminVerificationView; reason: string | null }) =>
      api<{ verification: AdminVerificationView }>(`/api/admin/verifications/${d.v.id}/${d.reason === null ? 'approve' : 'reject'}`, {
        method: 'POST',
        body: d.reason === null ? undefined : { reason: d.reason },
      }),
    onSuccess: (r, d) => {
      setNotice({ ok: true, text: `${d.v.legalName} is ${r.verification.status}.` });
      void qc.invalidateQueries({ queryKey: ['admin', 'verifications'] });
    },
    onError: (err, d) => setNotice({ ok: false, text: `${d.v.legalName}: ${errorText(err)}` }),
  });
  const rows = list.data?.pages.flatMap((p) => p.verifications) ?? [];

  return (
    <section className="page admin-page">
      <PageTitle>Verification</PageTitle>
      <p className="hint lead-hint">Creators' identity and age checks. Compare the document with the selfie and the details; a rejection's reason is shown to the creator.</p>
      <section className="admin-section" aria-labelledby="verif-title">
        <div className="section-head">
          <h2 id="verif-title">{STATUS_TEXT[status]}</h2>
          <div className="field inline-field">
            <label htmlFor={statusId}>Show</label>
            <select id={statusId} value={status} onChange={(e) => setStatus(e.target.value as VerificationStatus)}>
              <option value="pending">Waiting for review</option>
              <option value="approved">Approved</option>
              <option value="rejected">Rejected</option>
            </select>
          </div>
        </div>
        <NoticeLine notice={notice} />
        {list.isPending ? (
          <Loading label="Loading verifications" />
        ) : list.error ? (
          <ErrorNote error={list.error} retry={() => void list.refetch()} />
        ) : rows.length === 0 ? (
          <Empty title={status === 'pending' ? 'No verification is waiting for review.' : `No ${status} verifications.`} />
        ) : (
          <ul className="dl-list">
            {rows.map((v) => (
              <VerificationItem key={v.id} v={v} busy={decide.isPending && decide.variables?.v.id === v.id} onDecide={(reason) => decide.mutate({ v, reason })} />
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

function VerificationItem({ v, busy, onDecide }: { v: AdminVerificationView; busy: boolean; onDecide: (reason: string | null) => void }) {
  return (
    <li className="dl-item" aria-label={`Verification of ${v.legalName}`}>
      <div className="dl-main">
        <p className="dl-title">
          <strong>{v.legalName}</strong> <span className="muted">({v.creator.displayName}, {v.creator.email})</span>
        </p>
        <p className="hint">
          Born {v.dateOfBirth} · {v.country} · submitted {dateTime(v.submittedAt)}
          {v.reviewedAt && ` · decided ${dateTime(v.reviewedAt)}`}
        </p>
        {!v.birthdateMatches && (
          <p className="verdict verdict-bad">The account's birthdate ({v.creator.birthdate}) differs from this date of birth.</p>
        )}
        {v.reason && <p>Reason given: {v.reason}</p>}
        <div className="verification-photos">
          <figure>
            {v.document ? <Media media={v.document} alt={`ID document of ${v.legalName}`} sizes="320px" /> : <div className="media media-empty">Deleted</div>}
            <figcaption>ID document</figcaption>
          </figure>
          <figure>
            {v.selfie ? <Media media={v.selfie} alt={`Selfie of ${v.legalName}`} sizes="320px" /> : <div className="media media-empty">Deleted</div>}
            <figcaption>Selfie</figcaption>
          </figure>
        </div>
        {v.status === 'pending' && <DecideForm label={v.legalName} busy={busy} onDecide={onDecide} />}
      </div>
    </li>
  );
}
