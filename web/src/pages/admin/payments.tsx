import { useEffect, useId, useState } from 'react';
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { PAYMENT_STATUSES, type ReconciliationReport } from '../../../../shared/admin.js';
import { PROVIDERS } from '../../../../shared/payments.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { adminKeys, latestReconciliation, listPayments, runReconciliation, type PaymentFilters } from '../../lib/admin-api.js';
import { ago, dateTime, detailsText, discrepancyText, money, plural } from '../../lib/admin-format.js';
import { errorText } from '../../lib/error-text.js';

export function Payments() {
  return (
    <section className="page admin-page">
      <PageTitle>Payments &amp; reconciliation</PageTitle>
      <Reconciliation />
      <PaymentList />
    </section>
  );
}

/** How long to keep asking for the report a manual run will write before saying it is taking a while. */
const PATIENCE_MS = 60_000;

/**
 * The latest reconciliation report. "Run reconciliation" queues a run (202);
 * nothing is pushed when it finishes, so the report is asked for every two
 * seconds until one newer than the one shown arrives.
 */
function Reconciliation() {
  const [waiting, setWaiting] = useState<{ afterId: number; since: number } | null>(null);
  const [slow, setSlow] = useState(false);
  const report = useQuery({
    queryKey: adminKeys.reconciliation,
    queryFn: latestReconciliation,
    refetchInterval: waiting ? 2_000 : false,
  });
  const run = useMutation({
    mutationFn: runReconciliation,
    onSuccess: () => {
      setSlow(false);
      setWaiting({ afterId: report.data?.report?.id ?? 0, since: Date.now() });
    },
  });
  const latest = report.data?.report ?? null;

  useEffect(() => {
    if (waiting && latest && latest.id > waiting.afterId) setWaiting(null);
  }, [waiting, latest]);
  useEffect(() => {
    if (!waiting) return;
    const t = setTimeout(() => setSlow(true), PATIENCE_MS - (Date.now() - waiting.since));
    return () => clearTimeout(t);
  }, [waiting]);

  return (
    <section className="card admin-card" aria-labelledby="recon-title">
      <div className="card-head">
        <h2 id="recon-title">Reconciliation</h2>
        <button type="button" className="btn btn-primary" onClick={() => run.mutate()} disabled={run.isPending || waiting !== null}>
          {run.isPending ? 'Queueing…' : waiting ? 'Running…' : 'Run reconciliation'}
        </button>
      </div>
      <p className="hint">Compares Pairly’s payments, each provider’s own records and the ledger. It also runs on a schedule.</p>
      <div aria-live="polite">
        {run.error && <ErrorNote error={run.error} retry={() => run.mutate()} />}
        {waiting && (
          <p className="verdict verdict-info" role="status">
            {slow
              ? 'Queued, and still no new report. The job workers may be busy or stopped; the report will appear here when the run finishes.'
              : 'Queued. Waiting for the new report…'}
          </p>
        )}
      </div>
      {report.isPending ? (
        <Loading label="Loading the latest report" />
      ) : report.error && !latest ? (
        <ErrorNote error={report.error} retry={() => void report.refetch()} />
      ) : !latest ? (
        <Empty title="No reconciliation has run yet.">
          <p>Run one now, or wait for the scheduled run.</p>
        </Empty>
      ) : (
        <ReportView report={latest} />
      )}
    </section>
  );
}

function ReportView({ report }: { report: ReconciliationReport }) {
  const finished = report.finished_at ?? report.started_at;
  const providers = Object.entries(report.summary).filter((e): e is [string, { providerRecords: number; payments: number }] => typeof e[1] === 'object' && e[1] !== null);
  const sinceHours = typeof report.summary.sinceHours === 'number' ? report.summary.sinceHours : null;
  const n = report.discrepancies.length;
  return (
    <div className="report" data-testid="reconciliation-report">
      <p>
        Run #{report.id} finished {dateTime(finished)} ({ago(finished)}){sinceHours !== null && `, covering the last ${sinceHours} hours`}.
      </p>
      <p className={`verdict ${n ? 'verdict-bad' : 'verdict-ok'}`}>
        <span aria-hidden="true">{n ? '✕' : '✓'}</span> {n ? `${plural(n, 'discrepancy', 'discrepancies')} found.` : 'No discrepancies: payments, providers and the ledger agree.'}
      </p>
      {providers.length > 0 && (
        <dl className="breakdown inline">
          {providers.map(([name, s]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>
                {plural(s.payments, 'payment')}, {plural(s.providerRecords, 'provider record')}
              </dd>
            </div>
          ))}
        </dl>
      )}
      {n > 0 && (
        <ul className="discrepancies">
          {report.discrepancies.map((d, i) => (
            <li key={i}>
              <p>
                <span className="pill pill-bad">{d.kind.replaceAll('_', ' ')}</span> <strong>{d.provider}</strong>: {discrepancyText(d)}
              </p>
              <p className="hint">
                {d.paymentId && (
                  <>
                    Payment <code className="id">{d.paymentId}</code>.{' '}
                  </>
                )}
                {d.providerRef && (
                  <>
                    Provider ref <code className="id">{d.providerRef}</code>.{' '}
                  </>
                )}
                {Object.keys(d.details).length > 0 && detailsText(d.details)}
              </p>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const PAGE = 25;

/** GET /api/admin/payments, newest first, by status and provider. */
function PaymentList() {
  const [filters, setFilters] = useState<PaymentFilters>({});
  const statusId = useId();
  const providerId = useId();
  const list = useInfiniteQuery({
    queryKey: adminKeys.payments(filters),
    queryFn: ({ pageParam }) => listPayments(filters, pageParam, PAGE),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.payments.length === PAGE ? last.payments.at(-1)!.createdAt : undefined),
  });
  const rows = list.data?.pages.flatMap((p) => p.payments) ?? [];
  const filtered = Boolean(filters.status || filters.provider);

  return (
    <section className="admin-section" aria-labelledby="payments-title">
      <h2 id="payments-title">Payments</h2>
      <form className="admin-filters" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={statusId}>Status</label>
          <select id={statusId} value={filters.status ?? ''} onChange={(e) => setFilters({ ...filters, status: e.target.value || undefined })}>
            <option value="">Any status</option>
            {PAYMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={providerId}>Provider</label>
          <select id={providerId} value={filters.provider ?? ''} onChange={(e) => setFilters({ ...filters, provider: (e.target.value || undefined) as PaymentFilters['provider'] })}>
            <option value="">Any provider</option>
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
      </form>
      {list.isPending ? (
        <Loading label="Loading payments" />
      ) : list.error && rows.length === 0 ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title={filtered ? 'No payments match these filters.' : 'No payments yet.'} />
      ) : (
        <>
          <div className="table-wrap">
            <table className="admin-table stack">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Status</th>
                  <th scope="col">Provider</th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                  <th scope="col" className="num">
                    Credits
                  </th>
                  <th scope="col">User</th>
                  <th scope="col">Payment</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => (
                  <tr key={p.id}>
                    <td data-label="When">{dateTime(p.createdAt)}</td>
                    <td data-label="Status">
                      <span className={`pill pill-${p.status}`}>{p.status.replaceAll('_', ' ')}</span>
                      {p.error && <span className="row-note">{p.error}</span>}
                    </td>
                    <td data-label="Provider">{p.provider}</td>
                    <td data-label="Amount" className="num">
                      {money(p.amountMinor, p.currency)}
                    </td>
                    <td data-label="Credits" className="num">
                      {p.credits.toLocaleString()}
                      {p.status === 'succeeded' && !p.credited && <span className="row-note warn">not credited yet</span>}
                      {p.reversedCredits > 0 && <span className="row-note">{p.reversedCredits.toLocaleString()} reversed</span>}
                    </td>
                    <td data-label="User">
                      <code className="id">{p.userId}</code>
                    </td>
                    <td data-label="Payment">
                      <code className="id">{p.id}</code>
                      {p.providerRef && <span className="row-note">{p.providerRef}</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.error && <p className="form-error" role="alert">{errorText(list.error)}</p>}
          {list.hasNextPage && (
            <button type="button" className="btn btn-secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
              {list.isFetchingNextPage ? 'Loading…' : 'Older payments'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
