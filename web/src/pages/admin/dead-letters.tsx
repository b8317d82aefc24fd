import { useId, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { JobDeadLetterView, PaymentDeadLetterView } from '../../../../shared/admin.js';
import { AdminConsoles } from '../../components/admin-consoles.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { adminKeys, listJobDeadLetters, listPaymentDeadLetters, retryJobDeadLetter, retryPaymentDeadLetter } from '../../lib/admin-api.js';
import { ago, dateTime } from '../../lib/admin-format.js';
import { errorText } from '../../lib/error-text.js';
import { NoticeLine, type Notice } from './notice-line.js';

export function DeadLetters() {
  return (
    <section className="page admin-page">
      <PageTitle>Dead letters</PageTitle>
      <p className="hint lead-hint">Work that failed for good after every retry. Fix the cause first, then retry: a retry runs the same work again.</p>
      <AdminConsoles />
      <JobDeadLetters />
      <PaymentDeadLetters />
    </section>
  );
}

/** GET /api/admin/jobs/dead-letters?status, and retrying one (202 queued, 200 already retried). */
function JobDeadLetters() {
  const qc = useQueryClient();
  const [status, setStatus] = useState<'open' | 'all'>('open');
  const [notice, setNotice] = useState<Notice | null>(null);
  const statusId = useId();
  const list = useQuery({ queryKey: adminKeys.jobDeadLetters(status), queryFn: () => listJobDeadLetters(status) });
  const retry = useMutation({
    mutationFn: (d: JobDeadLetterView) => retryJobDeadLetter(d.id),
    onSuccess: (r, d) => {
      setNotice({
        ok: true,
        text: r.queued
          ? `Job #${d.id} (${d.job}) is queued again.`
          : `Job #${d.id} (${d.job}) was already retried${r.deadLetter.retriedAt ? ` ${ago(r.deadLetter.retriedAt)}` : ''}; nothing more was queued.`,
      });
      void qc.invalidateQueries({ queryKey: ['admin', 'dead-letters', 'jobs'] });
    },
    onError: (err, d) => setNotice({ ok: false, text: `Job #${d.id} could not be retried: ${errorText(err)}` }),
  });
  const rows = list.data?.deadLetters ?? [];

  return (
    <section className="admin-section" aria-labelledby="jobs-dl-title">
      <div className="section-head">
        <h2 id="jobs-dl-title">Background jobs</h2>
        <div className="field inline-field">
          <label htmlFor={statusId}>Show</label>
          <select id={statusId} value={status} onChange={(e) => setStatus(e.target.value as 'open' | 'all')}>
            <option value="open">Not retried yet</option>
            <option value="all">All, including retried</option>
          </select>
        </div>
      </div>
      <NoticeLine notice={notice} />
      {list.isPending ? (
        <Loading label="Loading job dead letters" />
      ) : list.error ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title={status === 'open' ? 'No failed jobs waiting for a retry.' : 'No job has ever failed for good.'} />
      ) : (
        <ul className="dl-list">
          {rows.map((d) => (
            <li key={d.id} className="dl-item">
              <div className="dl-main">
                <p className="dl-title">
                  <strong>{d.job}</strong> <span className="muted">#{d.id}</span>{' '}
                  {d.retriedAt ? <span className="pill pill-posted">retried {ago(d.retriedAt)}</span> : <span className="pill pill-bad">failed</span>}
                  {d.stalled && <span className="pill pill-pending">stalled</span>}
                </p>
                <p className="dl-error">{d.error}</p>
                <p className="hint">
                  Failed {dateTime(d.failedAt)} after {d.attempts} attempt{d.attempts === 1 ? '' : 's'} · job id <code className="id">{d.jobId}</code>
                  {d.payload !== null && d.payload !== undefined && Object.keys(d.payload as object).length > 0 && (
                    <>
                      {' '}
                      · payload <code className="id">{JSON.stringify(d.payload)}</code>
                    </>
                  )}
                </p>
              </div>
              {!d.retriedAt && (
                <button
                  type="button"
                  className="btn btn-secondary"
                  onClick={() => retry.mutate(d)}
                  disabled={retry.isPending && retry.variables?.id === d.id}
                  aria-label={`Retry job ${d.id} (${d.job})`}
                >
                  {retry.isPending && retry.variables?.id === d.id ? 'Retrying…' : 'Retry'}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** GET /api/admin/payments/dead-letters: provider webhook events that failed for good, and retrying one. */
function PaymentDeadLetters() {
  const qc = useQueryClient();
  const [notice, setNotice] = useState<Notice | null>(null);
  const list = useQuery({ queryKey: adminKeys.paymentDeadLetters, queryFn: listPaymentDeadLetters });
  const retry = useMutation({
    mutationFn: (e: PaymentDeadLetterView) => retryPaymentDeadLetter(e.provider, e.eventId),
    onSuccess: (outcome, e) => {
      setNotice({
        ok: true,
        text: outcome === 'queued' ? `${e.provider} event ${e.eventId} is queued again.` : `${e.provider} event ${e.eventId} is no longer dead: it was already retried.`,
      });
      void qc.invalidateQueries({ queryKey: ['admin', 'dead-letters'] });
    },
    onError: (err, e) => setNotice({ ok: false, text: `${e.provider} event ${e.eventId} could not be retried: ${errorText(err)}` }),
  });
  const rows = list.data?.events ?? [];
  const busy = (e: PaymentDeadLetterView) => retry.isPending && retry.variables?.eventId === e.eventId && retry.variables.provider === e.provider;

  return (
    <section className="admin-section" aria-labelledby="pay-dl-title">
      <h2 id="pay-dl-title">Payment webhooks</h2>
      <NoticeLine notice={notice} />
      {list.isPending ? (
        <Loading label="Loading webhook dead letters" />
      ) : list.error ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title="No webhook event has failed for good." />
      ) : (
        <ul className="dl-list">
          {rows.map((e) => (
            <li key={`${e.provider}:${e.eventId}`} className="dl-item">
              <div className="dl-main">
                <p className="dl-title">
                  <strong>{e.provider}</strong> {e.type} <span className="pill pill-bad">dead</span>
                </p>
                {e.lastError && <p className="dl-error">{e.lastError}</p>}
                <p className="hint">
                  Received {dateTime(e.receivedAt)} · {e.attempts} attempt{e.attempts === 1 ? '' : 's'} · event <code className="id">{e.eventId}</code>
                </p>
              </div>
              <button type="button" className="btn btn-secondary" onClick={() => retry.mutate(e)} disabled={busy(e)} aria-label={`Retry ${e.provider} event ${e.eventId}`}>
                {busy(e) ? 'Retrying…' : 'Retry'}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
