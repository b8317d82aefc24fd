import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { SubscriptionView, TrialTermsView } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { credits, dateText } from '../lib/creators-format.js';
import { creatorKeys } from '../lib/creators-queries.js';
import { ErrorNote, FormError, Loading, PageTitle } from '../components/ui.js';
import './creators.css';

const REFUSED: Record<string, string> = {
  TRIAL_CLAIMED: 'You already used this free trial.',
  TRIAL_UNAVAILABLE: 'This free trial is no longer available: it was revoked, expired or is full.',
  ALREADY_SUBSCRIBED: 'You already subscribe to this creator.',
  NOT_FOUND: 'This trial link does not exist.',
};

/** /trial/:code: the conditions of a free trial, then POST /api/trials/:code/claim. */
export default function TrialClaim() {
  const { code = '' } = useParams();
  const qc = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [sub, setSub] = useState<SubscriptionView | null>(null);
  const terms = useQuery({
    queryKey: ['trial', code],
    queryFn: () => api<{ trial: TrialTermsView }>(`/api/trials/${encodeURIComponent(code)}`).then((r) => r.trial),
    retry: false,
  });

  const claim = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ subscription: SubscriptionView }>(`/api/trials/${encodeURIComponent(code)}/claim`, { body: {} });
      setSub(r.subscription);
      void qc.invalidateQueries({ queryKey: creatorKeys.subscriptions });
      if (r.subscription.creator.handle) void qc.invalidateQueries({ queryKey: creatorKeys.page(r.subscription.creator.handle) });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const missing = terms.error instanceof ApiError && terms.error.code === 'NOT_FOUND';

  return (
    <section className="page narrow">
      <PageTitle>Free trial</PageTitle>
      {sub ? (
        <div className="card" role="status">
          <p>
            Your free trial of {sub.creator.displayName}’s {sub.tier.name} runs until {dateText(sub.currentPeriodEnd)}. It costs nothing and does not renew unless you
            choose to keep it on their page.
          </p>
          {sub.creator.handle && <Link to={`/c/${sub.creator.handle}`}>Open {sub.creator.displayName}’s page</Link>}
        </div>
      ) : terms.isPending ? (
        <Loading label="Loading the trial" />
      ) : missing ? (
        <p className="form-error" role="alert">
          {REFUSED.NOT_FOUND} <Link to="/creators">Browse creators</Link>
        </p>
      ) : terms.isError ? (
        <ErrorNote error={terms.error} retry={() => void terms.refetch()} />
      ) : (
        <div className="card">
          <p>
            {terms.data.days} {terms.data.days === 1 ? 'day' : 'days'} of {terms.data.creator.displayName}’s {terms.data.tier.name} for free. Nothing is charged, now or
            later: when the trial ends it stops, unless you choose to keep it at {credits(terms.data.tier.pricePerPeriod)} per 30 days.
          </p>
          {!terms.data.available && (
            <p className="form-error" role="alert">
              {terms.data.claimedByYou ? REFUSED.TRIAL_CLAIMED : REFUSED.TRIAL_UNAVAILABLE}
            </p>
          )}
          <FormError error={error} text={(err) => (err instanceof ApiError && REFUSED[err.code]) || null} />
          <button type="button" className="btn btn-primary" onClick={() => void claim()} disabled={busy || !terms.data.available}>
            {busy ? 'Claiming…' : 'Start my free trial'}
          </button>
        </div>
      )}
    </section>
  );
}
