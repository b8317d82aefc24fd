import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { EarningsSummary } from '../../../shared/earnings.js';
import type { PayoutMethodView, PayoutProvider, PayoutSchedule, PayoutTerms, PayoutView } from '../../../shared/payouts.js';
import { Empty, ErrorNote, Field, FormError, Loading, PageTitle } from '../components/ui.js';
import { StepUpProvider, useStepUpRetry } from '../components/step-up.js';
import { twoFactorKey } from '../components/settings-two-factor.js';
import type { TwoFactorStatus } from '../../../shared/auth.js';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { cancellable, money, payoutAmount, PROVIDER_LABEL, requestProblem, STATUS_LABEL } from '../lib/payouts-format.js';
import { useSocketEvent } from '../lib/socket.js';
import './payouts.css';

interface Overview {
  terms: PayoutTerms;
  earnings: EarningsSummary;
  verified: boolean;
  methods: PayoutMethodView[];
  schedule: { every: PayoutSchedule; provider: PayoutProvider; nextRunAt: string } | null;
}

const overviewKey = ['payouts', 'overview'] as const;
const isPriceChanged = (err: unknown) => err instanceof ApiError && err.code === 'PRICE_CHANGED';

/**
 * A creator's payouts: what is available, where payouts go (Stripe Express onboarding, a RazorpayX bank
 * account or UPI address), a request showing the money before it is asked for, automatic payouts, and the
 * history with each payout's state. A `wallet:updated` push (a payout paid, failed or returned, new
 * earnings) refreshes it.
 */
export default function Payouts() {
  const qc = useQueryClient();
  useSocketEvent('wallet:updated', () => void qc.invalidateQueries({ queryKey: ['payouts'] }));
  const overview = useQuery({ queryKey: overviewKey, queryFn: () => api<Overview>('/api/payouts/overview') });
  const twoFactor = useQuery({ queryKey: twoFactorKey, queryFn: async () => (await api<{ twoFactor: TwoFactorStatus }>('/api/auth/2fa')).twoFactor });
  return (
    <StepUpProvider>
      <section className="page payouts">
        <PageTitle>Payouts</PageTitle>
        {twoFactor.data && !twoFactor.data.enabled && (
          <p className="verdict verdict-bad">
            Payouts need two-factor sign-in. <Link to="/settings">Turn it on in Settings</Link> first.
          </p>
        )}
        {overview.isPending ? (
          <Loading label="Loading your payouts" />
        ) : overview.isError ? (
          <ErrorNote error={overview.error} retry={() => void overview.refetch()} />
        ) : (
          <Body o={overview.data} />
        )}
        <History />
      </section>
    </StepUpProvider>
  );
}

function Body({ o }: { o: Overview }) {
  const ready = o.methods.filter((m) => m.status === 'ready').map((m) => m.provider);
  return (
    <>
      <dl className="payout-totals">
        <div className="card">
          <dt>Available</dt>
          <dd className={o.earnings.available < 0 ? 'negative' : undefined} data-testid="payout-available">
            {o.earnings.available.toLocaleString()}
          </dd>
        </div>
        <div className="card">
          <dt>Pending</dt>
          <dd data-testid="payout-pending">{o.earnings.pending.toLocaleString()}</dd>
        </div>
        <div className="card">
          <dt>Paid out</dt>
          <dd data-testid="payout-paid-out">{o.earnings.paidOut.toLocaleString()}</dd>
        </div>
      </dl>
      <p className="hint">
        In credits. The smallest payout is {o.terms.minCredits.toLocaleString()} credits; an admin approves each one.
        {o.terms.rates.map((r) => ` Through ${PROVIDER_LABEL[r.provider]}, a credit pays ${money(r.minorPerCredit, r.currency)}.`).join('')}
      </p>
      {!o.verified && (
        <p className="verdict verdict-bad">
          Only verified creators can be paid. <Link to="/verification">Verify your identity</Link> first.
        </p>
      )}
      <Methods o={o} />
      {o.verified && ready.length > 0 && <RequestForm o={o} ready={ready} />}
      {ready.length > 0 && <ScheduleForm o={o} ready={ready} />}
    </>
  );
}

function Methods({ o }: { o: Overview }) {
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const stripe = o.methods.find((m) => m.provider === 'stripe');
  const razorpay = o.methods.find((m) => m.provider === 'razorpay');
  const offers = (p: PayoutProvider) => o.terms.rates.some((r) => r.provider === p);
  const stepUp = useStepUpRetry();
  const onboard = useMutation({
    mutationFn: () => api<{ url: string }>('/api/payouts/methods/stripe', { method: 'POST', body: {} }),
    onSuccess: (r) => window.location.assign(r.url),
    onError: (err) => stepUp(err, () => onboard.mutate()),
  });
  const refresh = useMutation({
    mutationFn: () => api('/api/payouts/methods/stripe/refresh', { method: 'POST', body: {} }),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['payouts'] }),
  });
  // Back from Stripe's onboarding: ask Stripe now rather than wait for its webhook.
  const asked = useRef(false);
  useEffect(() => {
    if (params.get('onboarding') && stripe && !asked.current) {
      asked.current = true;
      refresh.mutate();
      setParams({}, { replace: true });
    }
  }, [params, stripe, refresh, setParams]);

  return (
    <section className="card payout-section" aria-labelledby="payout-methods-title">
      <h2 id="payout-methods-title">Where payouts go</h2>
      {o.terms.rates.length === 0 && <Empty title="Payouts are not offered here yet." />}
      {offers('stripe') && (
        <div className="payout-method">
          <p>
            <strong>Stripe</strong> (bank account, through a Stripe Express account):{' '}
            <span data-testid="stripe-status">{stripe ? METHOD_TEXT[stripe.status] : 'not set up'}</span>
          </p>
          {stripe?.status !== 'ready' && (
            <button type="button" className="btn btn-primary" disabled={onboard.isPending} onClick={() => onboard.mutate()}>
              {stripe ? 'Continue Stripe onboarding' : 'Set up Stripe payouts'}
            </button>
          )}
          <FormError error={onboard.error} />
        </div>
      )}
      {offers('razorpay') && <RazorpayForm method={razorpay} />}
    </section>
  );
}

const METHOD_TEXT = { onboarding: 'onboarding not finished', ready: 'ready', restricted: 'Stripe needs more details' } as const;

function RazorpayForm({ method }: { method: PayoutMethodView | undefined }) {
  const qc = useQueryClient();
  const [type, setType] = useState<'bank_account' | 'vpa'>('bank_account');
  const [f, setF] = useState({ name: '', ifsc: '', accountNumber: '', vpa: '' });
  const typeId = useId();
  const stepUp = useStepUpRetry();
  const save = useMutation({
    mutationFn: () =>
      api('/api/payouts/methods/razorpay', {
        method: 'POST',
        body: type === 'vpa' ? { type, name: f.name, vpa: f.vpa } : { type, name: f.name, ifsc: f.ifsc, accountNumber: f.accountNumber },
      }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['payouts'] }),
    onError: (err) => stepUp(err, () => save.mutate()),
  });
  return (
    <form
      className="payout-method"
      aria-label="RazorpayX payout account"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <p>
        <strong>RazorpayX</strong> (India: bank account or UPI):{' '}
        {method ? `${METHOD_TEXT[method.status]}, ${method.details.vpa ?? `${method.details.bank ?? ''} ${method.details.ifsc ?? ''}`}` : 'not set up'}
      </p>
      <div className="field">
        <label htmlFor={typeId}>Pay to</label>
        <select id={typeId} value={type} onChange={(e) => setType(e.target.value as 'bank_account' | 'vpa')}>
          <option value="bank_account">Bank account</option>
          <option value="vpa">UPI address</option>
        </select>
      </div>
      <Field label="Account holder's name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} required minLength={3} maxLength={120} />
      {type === 'vpa' ? (
        <Field label="UPI address" value={f.vpa} onChange={(e) => setF({ ...f, vpa: e.target.value })} required placeholder="name@bank" />
      ) : (
        <>
          <Field label="IFSC" value={f.ifsc} onChange={(e) => setF({ ...f, ifsc: e.target.value })} required maxLength={11} />
          <Field label="Account number" value={f.accountNumber} inputMode="numeric" onChange={(e) => setF({ ...f, accountNumber: e.target.value })} required />
        </>
      )}
      <button type="submit" className="btn btn-secondary" disabled={save.isPending}>
        {method ? 'Replace the RazorpayX account' : 'Save the RazorpayX account'}
      </button>
      <FormError error={save.error} />
    </form>
  );
}

function RequestForm({ o, ready }: { o: Overview; ready: PayoutProvider[] }) {
  const qc = useQueryClient();
  const [provider, setProvider] = useState<PayoutProvider>(ready[0]!);
  const [credits, setCredits] = useState(String(Math.max(0, o.earnings.available)));
  const [problem, setProblem] = useState<string | null>(null);
  // One id per attempt: a retry of the same request (a lost answer) is the same payout.
  const attempt = useRef(crypto.randomUUID());
  const providerId = useId();
  const stepUp = useStepUpRetry();
  const n = Number(credits);
  const amount = payoutAmount(o.terms, provider, n);
  const ask = useMutation({
    mutationFn: () => api<{ payout: PayoutView }>('/api/payouts', { method: 'POST', body: { id: attempt.current, provider, credits: n, expectedAmountMinor: amount?.amountMinor } }),
    onSuccess: () => {
      attempt.current = crypto.randomUUID();
      void qc.invalidateQueries({ queryKey: ['payouts'] });
    },
    // A new rate: read the terms again so the amount shown is the one that will be paid.
    onError: (err) => {
      if (isPriceChanged(err)) void qc.invalidateQueries({ queryKey: overviewKey });
      stepUp(err, () => ask.mutate());
    },
  });
  return (
    <form
      className="card payout-section"
      aria-labelledby="payout-request-title"
      onSubmit={(e) => {
        e.preventDefault();
        const p = requestProblem(n, o.earnings.available, o.terms.minCredits);
        setProblem(p);
        if (!p) ask.mutate();
      }}
    >
      <h2 id="payout-request-title">Request a payout</h2>
      {ready.length > 1 && (
        <div className="field">
          <label htmlFor={providerId}>Pay through</label>
          <select id={providerId} value={provider} onChange={(e) => setProvider(e.target.value as PayoutProvider)}>
            {ready.map((p) => (
              <option key={p} value={p}>
                {PROVIDER_LABEL[p]}
              </option>
            ))}
          </select>
        </div>
      )}
      <Field label="Credits to pay out" type="number" min={1} step={1} inputMode="numeric" value={credits} onChange={(e) => setCredits(e.target.value)} error={problem ?? undefined} />
      <p data-testid="payout-amount">{amount ? `You receive ${money(amount.amountMinor, amount.currency)} through ${PROVIDER_LABEL[provider]}.` : ' '}</p>
      <button type="submit" className="btn btn-primary" disabled={ask.isPending}>
        Request payout
      </button>
      <FormError error={ask.error} text={(err) => (isPriceChanged(err) ? 'The payout rate changed: the new amount is shown above. Request again to accept it.' : null)} />
      {ask.isSuccess && (
        <p className="verdict verdict-ok" role="status">
          Requested. An admin reviews it; the credits are set aside until it is paid or comes back.
        </p>
      )}
    </form>
  );
}

function ScheduleForm({ o, ready }: { o: Overview; ready: PayoutProvider[] }) {
  const qc = useQueryClient();
  const [every, setEvery] = useState<PayoutSchedule | ''>(o.schedule?.every ?? '');
  const id = useId();
  const stepUp = useStepUpRetry();
  const save = useMutation({
    mutationFn: () => api('/api/payouts/schedule', { method: 'PUT', body: { every: every || null, provider: o.schedule?.provider ?? ready[0] } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: overviewKey }),
    onError: (err) => stepUp(err, () => save.mutate()),
  });
  return (
    <form
      className="card payout-section"
      aria-labelledby="payout-schedule-title"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 id="payout-schedule-title">Automatic payouts</h2>
      <div className="field">
        <label htmlFor={id}>Request everything available</label>
        <select id={id} value={every} onChange={(e) => setEvery(e.target.value as PayoutSchedule | '')}>
          <option value="">Never (I ask myself)</option>
          <option value="weekly">Every week</option>
          <option value="monthly">On the first of each month</option>
        </select>
      </div>
      {o.schedule && <p className="hint">Next: {new Date(o.schedule.nextRunAt).toLocaleDateString()}</p>}
      <button type="submit" className="btn btn-secondary" disabled={save.isPending}>
        Save
      </button>
      <FormError error={save.error} />
    </form>
  );
}

function History() {
  const qc = useQueryClient();
  const list = useInfiniteQuery({
    queryKey: ['payouts', 'list'],
    queryFn: ({ pageParam }) => api<{ payouts: PayoutView[]; nextCursor: string | null }>(`/api/payouts?limit=20${pageParam ? `&cursor=${pageParam}` : ''}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const cancel = useMutation({
    mutationFn: (id: string) => api(`/api/payouts/${id}/cancel`, { method: 'POST', body: {} }),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['payouts'] }),
  });
  const rows = list.data?.pages.flatMap((p) => p.payouts) ?? [];
  return (
    <section className="card payout-section" aria-labelledby="payout-history-title">
      <h2 id="payout-history-title">History</h2>
      {list.isPending ? (
        <Loading label="Loading your payouts" />
      ) : list.isError ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title="No payouts yet." />
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Payout history table">
          <table className="payout-table">
            <thead>
              <tr>
                <th scope="col">Requested</th>
                <th scope="col" className="num">Credits</th>
                <th scope="col" className="num">Amount</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.id} data-testid="payout-row">
                  <td>{new Date(p.requestedAt).toLocaleDateString()}</td>
                  <td className="num">{p.credits.toLocaleString()}</td>
                  <td className="num">
                    {money(p.amountMinor, p.currency)} <span className="muted">{PROVIDER_LABEL[p.provider]}</span>
                  </td>
                  <td>
                    <span className={`payout-status status-${p.status}`}>{STATUS_LABEL[p.status]}</span>
                    {p.automatic && <span className="muted"> (automatic)</span>}
                    {p.reason && <span className="muted"> · {p.reason}</span>}
                  </td>
                  <td>
                    {cancellable(p.status) && (
                      <button type="button" className="btn btn-secondary btn-small" disabled={cancel.isPending} onClick={() => cancel.mutate(p.id)} aria-label={`Cancel the payout of ${p.credits} credits`}>
                        Cancel
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cancel.isError && <p className="form-error" role="alert">{errorText(cancel.error)}</p>}
      {list.hasNextPage && (
        <button type="button" className="btn btn-secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
