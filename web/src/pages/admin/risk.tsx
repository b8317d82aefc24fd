import { useId, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { LoginRiskOutcome, PaymentRiskDecision, RiskLoginView, RiskPaymentView } from '../../../../shared/risk.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { queryString } from '../../lib/admin-api.js';
import { dateTime, money } from '../../lib/admin-format.js';
import { api } from '../../lib/api.js';
import { errorText } from '../../lib/error-text.js';
import { DECISION_TEXT, OUTCOME_TEXT, reasonsText } from '../../lib/risk.js';
import { NoticeLine, type Notice } from './notice-line.js';
import '../verification.css';

const paymentsKey = (decision: PaymentRiskDecision) => ['admin', 'risk', 'payments', decision] as const;
const loginsKey = (outcome: LoginRiskOutcome | '') => ['admin', 'risk', 'logins', outcome] as const;

/** /admin/risk: payments held by risk scoring (approve, or reject with a reason) and sign-ins that scored, newest first. */
export function AdminRisk() {
  return (
    <section className="page admin-page">
      <PageTitle>Risk</PageTitle>
      <p className="hint lead-hint">
        Checkouts and sign-ins that scored as risky, with their reasons. A held payment's credits are granted only when you approve it; a
        rejected one is never credited (refund it at the provider if it was paid).
      </p>
      <HeldPayments />
      <FlaggedLogins />
    </section>
  );
}

function HeldPayments() {
  const qc = useQueryClient();
  const [decision, setDecision] = useState<PaymentRiskDecision>('held');
  const [notice, setNotice] = useState<Notice | null>(null);
  const selectId = useId();
  const list = useQuery({
    queryKey: paymentsKey(decision),
    queryFn: async () => (await api<{ payments: RiskPaymentView[] }>(`/api/admin/risk/payments${queryString({ decision, limit: 50 })}`)).payments,
  });
  const decide = useMutation({
    mutationFn: (d: { p: RiskPaymentView; reason: string | null }) =>
      api<{ payment: RiskPaymentView }>(`/api/admin/risk/payments/${d.p.paymentId}/${d.reason === null ? 'approve' : 'reject'}`, {
        method: 'POST',
        body: d.reason === null ? undefined : { reason: d.reason },
      }),
    onSuccess: (r, d) => {
      setNotice({ ok: true, text: `The payment of ${d.p.displayName ?? d.p.userId} is ${r.payment.decision}.` });
      void qc.invalidateQueries({ queryKey: ['admin', 'risk', 'payments'] });
    },
    onError: (err, d) => {
      setNotice({ ok: false, text: `${d.p.displayName ?? d.p.userId}: ${errorText(err)}` });
      void qc.invalidateQueries({ queryKey: ['admin', 'risk', 'payments'] });
    },
  });

  return (
    <section className="admin-section" aria-labelledby="risk-payments-title">
      <div className="section-head">
        <h2 id="risk-payments-title">Payments: {DECISION_TEXT[decision].toLowerCase()}</h2>
        <div className="field inline-field">
          <label htmlFor={selectId}>Show</label>
          <select id={selectId} value={decision} onChange={(e) => setDecision(e.target.value as PaymentRiskDecision)}>
            {(Object.keys(DECISION_TEXT) as PaymentRiskDecision[]).map((d) => (
              <option key={d} value={d}>
                {DECISION_TEXT[d]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <NoticeLine notice={notice} />
      {list.isPending ? (
        <Loading label="Loading payments" />
      ) : list.error ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <Empty title={decision === 'held' ? 'No payment is waiting for review.' : 'No payments here.'} />
      ) : (
        <ul className="dl-list">
          {list.data.map((p) => (
            <li key={p.id} className="dl-item" aria-label={`Payment of ${p.displayName ?? p.userId}`}>
              <div className="dl-main">
                <p className="dl-title">
                  <strong>{p.displayName ?? 'Unknown user'}</strong> <span className="muted">({p.userId})</span> · {p.credits} credits for{' '}
                  {money(p.amountMinor, p.currency)} via {p.provider}
                </p>
                <p className="hint">
                  Score {p.score}: {reasonsText(p.reasons)} · {dateTime(p.at)}
                  {p.decidedAt && ` · decided ${dateTime(p.decidedAt)}`}
                </p>
                {p.note && <p>Reason given: {p.note}</p>}
                {p.decision === 'held' && p.paymentId && (
                  <HoldForm label={p.displayName ?? p.userId} busy={decide.isPending && decide.variables?.p.id === p.id} onDecide={(reason) => decide.mutate({ p, reason })} />
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Approve, or reject with a reason kept in the audit log (at least 3 characters). */
function HoldForm({ label, busy, onDecide }: { label: string; busy: boolean; onDecide: (reason: string | null) => void }) {
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const reasonId = useId();
  return (
    <form
      className="verification-decide"
      onSubmit={(e) => {
        e.preventDefault();
        if (reason.trim().length < 3) return setProblem('Write why it is rejected (at least 3 characters): it goes in the audit log.');
        setProblem(null);
        onDecide(reason.trim());
      }}
    >
      <button type="button" className="btn btn-primary" disabled={busy} onClick={() => onDecide(null)} aria-label={`Approve the payment of ${label}`}>
        Approve
      </button>
      <div className="field">
        <label htmlFor={reasonId}>Reason to reject</label>
        <input id={reasonId} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
      </div>
      <button type="submit" className="btn btn-secondary" disabled={busy} aria-label={`Reject the payment of ${label}`}>
        Reject
      </button>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function FlaggedLogins() {
  const qc = useQueryClient();
  const [outcome, setOutcome] = useState<LoginRiskOutcome | ''>('');
  const [notice, setNotice] = useState<Notice | null>(null);
  const selectId = useId();
  const release = useMutation({
    mutationFn: (d: { l: RiskLoginView; note: string }) => api<{ login: RiskLoginView }>(`/api/admin/risk/logins/${d.l.id}/release`, { method: 'POST', body: { note: d.note } }),
    onSuccess: (_r, d) => {
      setNotice({ ok: true, text: `${d.l.displayName ?? 'The user'} can sign in again from ${d.l.device}; they were told by email.` });
      void qc.invalidateQueries({ queryKey: ['admin', 'risk', 'logins'] });
    },
    onError: (err, d) => setNotice({ ok: false, text: `The sign-in of ${d.l.displayName ?? 'this user'} could not be released: ${errorText(err)}` }),
  });
  const list = useQuery({
    queryKey: loginsKey(outcome),
    queryFn: async () => (await api<{ logins: RiskLoginView[] }>(`/api/admin/risk/logins${queryString({ outcome: outcome || undefined, limit: 50 })}`)).logins,
  });
  return (
    <section className="admin-section" aria-labelledby="risk-logins-title">
      <div className="section-head">
        <h2 id="risk-logins-title">Sign-ins that scored</h2>
        <div className="field inline-field">
          <label htmlFor={selectId}>Show</label>
          <select id={selectId} value={outcome} onChange={(e) => setOutcome(e.target.value as LoginRiskOutcome | '')}>
            <option value="">All</option>
            {(['held', 'email_confirmation', 'two_factor', 'allowed'] as const).map((o) => (
              <option key={o} value={o}>
                {OUTCOME_TEXT[o]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <NoticeLine notice={notice} />
      {list.isPending ? (
        <Loading label="Loading sign-ins" />
      ) : list.error ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <Empty title="No risky sign-ins." />
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Sign-ins that scored, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Score</th>
                <th scope="col">Reasons</th>
                <th scope="col">From</th>
                <th scope="col">Outcome</th>
                <th scope="col">Review</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((l) => (
                <tr key={l.id}>
                  <td>{dateTime(l.at)}</td>
                  <td>
                    {l.displayName ?? 'Unknown user'} <span className="muted">({l.userId})</span>
                  </td>
                  <td>{l.score}</td>
                  <td>{reasonsText(l.reasons)}</td>
                  <td>
                    {l.device}
                    {l.country && `, ${l.country}`}
                    {l.ip && <span className="muted"> ({l.ip})</span>}
                  </td>
                  <td>
                    {OUTCOME_TEXT[l.outcome]}
                    {l.passedAt && l.outcome !== 'allowed' && ', then passed'}
                    {l.releasedAt && !l.passedAt && ', released'}
                  </td>
                  <td>
                    {l.outcome === 'held' && !l.releasedAt && (
                      <ReleaseForm label={l.displayName ?? l.userId} busy={release.isPending} onRelease={(note) => release.mutate({ l, note })} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Release a held sign-in after review, with a note kept in the audit log (at least 3 characters). */
function ReleaseForm({ label, busy, onRelease }: { label: string; busy: boolean; onRelease: (note: string) => void }) {
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const noteId = useId();
  return (
    <form
      className="verification-decide"
      onSubmit={(e) => {
        e.preventDefault();
        if (note.trim().length < 3) return setProblem('Write why it is released (at least 3 characters): it goes in the audit log.');
        setProblem(null);
        onRelease(note.trim());
      }}
    >
      <div className="field">
        <label htmlFor={noteId}>Why release it</label>
        <input id={noteId} value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
      </div>
      <button type="submit" className="btn btn-secondary" disabled={busy} aria-label={`Release the sign-in of ${label}`}>
        Release
      </button>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
