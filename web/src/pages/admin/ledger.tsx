import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { adjustmentBody } from '../../../../shared/payments.js';
import { Empty, ErrorNote, Field, Loading, PageTitle } from '../../components/ui.js';
import {
  adjust,
  adjustmentErrorText,
  adminKeys,
  intentFor,
  listTransfers,
  verifyLedger,
  type AdjustmentBody,
  type AdjustmentIntent,
  type AdjustmentResult,
  type TransferFilters,
} from '../../lib/admin-api.js';
import { dateTime, parseAmount, plural, signedCredits, verifyVerdict } from '../../lib/admin-format.js';
import { newIdempotencyKey } from '../../lib/api.js';
import { errorText } from '../../lib/error-text.js';
import { fieldErrorsOf, fieldErrorsOfApi, type FieldErrors } from '../../lib/form.js';

export function Ledger() {
  return (
    <section className="page admin-page">
      <PageTitle>Ledger</PageTitle>
      <div className="admin-columns">
        <Verify />
        <Adjustment />
      </div>
      <Transfers />
    </section>
  );
}

/** GET /api/admin/ledger/verify, with the verdict in words. */
function Verify() {
  const verify = useMutation({ mutationFn: verifyLedger });
  const verdict = verify.data ? verifyVerdict(verify.data) : null;
  return (
    <section className="card admin-card" aria-labelledby="verify-title">
      <h2 id="verify-title">Verify the ledger</h2>
      <p className="hint">Walks every hash chain and re-adds every balance from its transfers. Takes a moment on a big ledger.</p>
      <button type="button" className="btn btn-primary" onClick={() => verify.mutate()} disabled={verify.isPending}>
        {verify.isPending ? 'Verifying…' : 'Verify now'}
      </button>
      <div aria-live="polite">
        {verify.isPending && <Loading label="Checking every chain and balance" />}
        {verify.error && <ErrorNote error={verify.error} retry={() => verify.mutate()} />}
        {verdict && !verify.isPending && (
          <div className={`verdict ${verdict.ok ? 'verdict-ok' : 'verdict-bad'}`} data-testid="verify-verdict">
            <p>
              <strong className="verdict-headline">
                <span aria-hidden="true">{verdict.ok ? '✓' : '✕'}</span> {verdict.headline}.
              </strong>{' '}
              {verdict.detail}
            </p>
            {verdict.problems.length > 0 && (
              <ul>
                {verdict.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
            <p className="hint">Checked {dateTime(verify.data!.checkedAt)}.</p>
          </div>
        )}
      </div>
    </section>
  );
}

/** POST /api/admin/ledger/adjustments: fill in, confirm, done. */
function Adjustment() {
  const qc = useQueryClient();
  const [userId, setUserId] = useState('');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [intent, setIntent] = useState<AdjustmentIntent | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<{ body: AdjustmentBody; result: AdjustmentResult } | null>(null);

  const send = useMutation({
    mutationFn: (i: AdjustmentIntent) => adjust(i.body, i.key),
    onSuccess: (result, i) => {
      setDone({ body: i.body, result });
      setIntent(null);
      setConfirming(false);
      setUserId('');
      setAmount('');
      setReason('');
      void qc.invalidateQueries({ queryKey: ['admin', 'transfers'] });
    },
    onError: (err) => {
      const fields = fieldErrorsOfApi(err);
      if (Object.keys(fields).length) {
        setErrors(fields);
        setConfirming(false);
      }
    },
  });

  const review = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    send.reset();
    const n = parseAmount(amount);
    const { data, errors: found } = fieldErrorsOf(adjustmentBody, { userId: userId.trim(), amount: n ?? Number.NaN, reason });
    if (found.userId) found.userId = 'Enter the user’s id: a UUID, as listed under Online users.';
    if (n === null) found.amount = 'Enter a whole number of credits: positive adds, negative takes away.';
    else if (n === 0) found.amount = 'An adjustment of 0 changes nothing.';
    else if (found.amount) found.amount = 'At most 10,000,000 credits in one adjustment.';
    if (found.reason) found.reason = 'Give a reason of 5 to 500 characters.';
    setErrors(found);
    if (!data || n === null) return;
    setIntent((prev) => intentFor(prev, data, newIdempotencyKey));
    setConfirming(true);
  };

  return (
    <section className="card admin-card" aria-labelledby="adjust-title">
      <h2 id="adjust-title">Adjust a wallet</h2>
      {confirming && intent ? (
        <div className="confirm" role="group" aria-labelledby="confirm-title">
          <p id="confirm-title" className="confirm-title">
            {intent.body.amount > 0 ? 'Add' : 'Take'} <strong>{plural(Math.abs(intent.body.amount), 'credit')}</strong> {intent.body.amount > 0 ? 'to' : 'from'} the wallet of{' '}
            <code className="id">{intent.body.userId}</code>?
          </p>
          <p>
            Reason: <q>{intent.body.reason}</q>
          </p>
          <p className="hint">This is recorded in the ledger and the audit log under your name.</p>
          {send.error && Object.keys(fieldErrorsOfApi(send.error)).length === 0 && (
            <p className="form-error" role="alert">
              {adjustmentErrorText(send.error)}
            </p>
          )}
          <div className="actions">
            <button type="button" className="btn btn-primary" onClick={() => send.mutate(intent)} disabled={send.isPending}>
              {send.isPending ? 'Adjusting…' : send.error ? 'Try again' : 'Confirm adjustment'}
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setConfirming(false)} disabled={send.isPending}>
              Back
            </button>
          </div>
        </div>
      ) : (
        <form className="form" onSubmit={review} noValidate>
          <Field label="User id" value={userId} onChange={(e) => setUserId(e.target.value)} error={errors.userId} autoComplete="off" spellCheck={false} />
          <Field
            label="Amount (credits)"
            hint="Positive adds credits, negative takes them away."
            inputMode="numeric"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            error={errors.amount}
            autoComplete="off"
          />
          <Field label="Reason" hint="At least 5 characters; kept in the audit log." value={reason} onChange={(e) => setReason(e.target.value)} error={errors.reason} maxLength={500} />
          <div className="actions">
            <button type="submit" className="btn btn-primary">
              Review adjustment
            </button>
          </div>
        </form>
      )}
      {done && (
        <p className="verdict verdict-ok" role="status">
          {done.result.replayed ? 'Already done: this adjustment was made before, nothing changed. ' : `Done: ${signedCredits(done.body.amount)}. `}
          Their wallet now has {done.result.wallet.available.toLocaleString()} credits available
          {done.result.wallet.debt ? ` and owes ${done.result.wallet.debt.toLocaleString()}` : ''}.
        </p>
      )}
    </section>
  );
}

const PAGE = 25;

/** GET /api/admin/ledger/transfers, newest first, filtered, paged by cursor. */
function Transfers() {
  const [draft, setDraft] = useState<TransferFilters>({});
  const [filters, setFilters] = useState<TransferFilters>({});
  const list = useInfiniteQuery({
    queryKey: adminKeys.transfers(filters),
    queryFn: ({ pageParam }) => listTransfers(filters, pageParam, PAGE),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const rows = list.data?.pages.flatMap((p) => p.transfers) ?? [];
  const filtered = Boolean(filters.userId || filters.kind || filters.key);

  return (
    <section className="admin-section" aria-labelledby="transfers-title">
      <h2 id="transfers-title">Recent transfers</h2>
      <form
        className="admin-filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ userId: draft.userId?.trim() || undefined, kind: draft.kind?.trim() || undefined, key: draft.key?.trim() || undefined });
        }}
      >
        <Field label="User id" value={draft.userId ?? ''} onChange={(e) => setDraft({ ...draft, userId: e.target.value })} autoComplete="off" spellCheck={false} />
        <Field label="Kind" placeholder="purchase, message, call…" value={draft.kind ?? ''} onChange={(e) => setDraft({ ...draft, kind: e.target.value })} autoComplete="off" />
        <Field label="Key starts with" value={draft.key ?? ''} onChange={(e) => setDraft({ ...draft, key: e.target.value })} autoComplete="off" spellCheck={false} />
        <div className="filter-actions">
          <button type="submit" className="btn btn-secondary">
            Filter
          </button>
          {filtered && (
            <button
              type="button"
              className="btn btn-link"
              onClick={() => {
                setDraft({});
                setFilters({});
              }}
            >
              Clear
            </button>
          )}
        </div>
      </form>
      {list.isPending ? (
        <Loading label="Loading transfers" />
      ) : list.error && rows.length === 0 ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title={filtered ? 'No transfers match these filters.' : 'No transfers yet.'} />
      ) : (
        <>
          <div className="table-wrap">
            <table className="admin-table stack">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Kind</th>
                  <th scope="col" className="num">
                    Credits
                  </th>
                  <th scope="col">From → to</th>
                  <th scope="col">State</th>
                  <th scope="col">Key</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => (
                  <tr key={t.id}>
                    <td data-label="#">{t.id}</td>
                    <td data-label="When">{dateTime(t.createdAt)}</td>
                    <td data-label="Kind">{t.kind}</td>
                    <td data-label="Credits" className="num">
                      {t.amount.toLocaleString()}
                    </td>
                    <td data-label="From → to">
                      <code className="id">{t.debit}</code> → <code className="id">{t.credit}</code>
                    </td>
                    <td data-label="State">
                      <span className={`pill pill-${t.state}`}>{t.state}</span>
                    </td>
                    <td data-label="Key">
                      <code className="id">{t.key}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.error && <p className="form-error" role="alert">{errorText(list.error)}</p>}
          {list.hasNextPage && (
            <button type="button" className="btn btn-secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
              {list.isFetchingNextPage ? 'Loading…' : 'Older transfers'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
