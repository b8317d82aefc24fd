import { useId, useState } from 'react';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import type { CreatorPageView, SubscriptionView, TierView } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { bundleLabel, bundleOptions, credits, dateText, monthsText, renewalNote, subscriptionText } from '../lib/creators-format.js';
import { creatorKeys } from '../lib/creators-queries.js';
import { PayDialog } from './pay-dialog.js';
import { FormError } from './ui.js';

/**
 * Subscribing: the tier and the bundle (1/3/6/12 months with the discount),
 * the exact price to pay (the tier's `bundles` for this viewer, sent as
 * expectedPrice) and what renews when; then "Pay N credits".
 */
export function SubscribeDialog({ creator, initialTier, onClose }: { creator: CreatorPageView; initialTier?: string; onClose: () => void }) {
  const qc = useQueryClient();
  const tiers = creator.tiers.filter((t) => !t.archived);
  const [tierId, setTierId] = useState(initialTier ?? tiers[0]?.id ?? '');
  const [months, setMonths] = useState<1 | 3 | 6 | 12>(1);
  const groupId = useId();
  const tier = tiers.find((t) => t.id === tierId) ?? tiers[0];
  if (!tier) return null;
  const bundle = bundleOptions(tier).find((b) => b.months === months)!;

  return (
    <PayDialog
      // A new tier or bundle is a new price to consent to: the dialog's state starts again.
      key={`${tier.id}:${months}`}
      title={`Subscribe to ${creator.displayName}`}
      price={bundle.price}
      onClose={onClose}
      extraError={(err) =>
        err instanceof ApiError && err.code === 'ALREADY_SUBSCRIBED'
          ? 'You already subscribe at another tier. Change your tier from your subscription instead (it applies at renewal).'
          : null
      }
      pay={async (expectedPrice) => {
        await api(`/api/creators/${encodeURIComponent(creator.handle)}/subscribe`, { body: { tierId: tier.id, months, expectedPrice } });
        void qc.invalidateQueries({ queryKey: creatorKeys.page(creator.handle) });
        void qc.invalidateQueries({ queryKey: creatorKeys.posts(creator.userId) });
        void qc.invalidateQueries({ queryKey: creatorKeys.subscriptions });
      }}
    >
      <fieldset className="field">
        <legend>Tier</legend>
        {tiers.map((t) => (
          <label key={t.id} className="radio">
            <input type="radio" name={`${groupId}-tier`} checked={t.id === tier.id} onChange={() => setTierId(t.id)} />
            {t.name} · {credits(t.bundles['1'])} a month
          </label>
        ))}
      </fieldset>
      <fieldset className="field">
        <legend>How long</legend>
        {bundleOptions(tier).map((b) => (
          <label key={b.months} className="radio">
            <input type="radio" name={`${groupId}-months`} checked={b.months === months} onChange={() => setMonths(b.months)} />
            {bundleLabel(b)}
          </label>
        ))}
      </fieldset>
      <p data-testid="subscribe-total">
        You pay <strong>{credits(bundle.price)}</strong> now for {tier.name}.
      </p>
      <p className="hint">{renewalNote(tier, bundle, Date.now())}</p>
    </PayDialog>
  );
}

/** The viewer's subscription: until when, what renews, cancel or resume, a tier change at renewal. */
export function SubscriptionPanel({ creator, subscription: s }: { creator: CreatorPageView; subscription: SubscriptionView }) {
  const qc = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [resuming, setResuming] = useState(false);
  const [changing, setChanging] = useState<TierView | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: creatorKeys.page(creator.handle) });
    void qc.invalidateQueries({ queryKey: creatorKeys.subscriptions });
  };
  const cancel = async () => {
    setError(null);
    try {
      await api(`/api/subscriptions/${s.id}/cancel`, { body: {} });
      refresh();
    } catch (err) {
      setError(err);
    }
  };
  const others = creator.tiers.filter((t) => !t.archived && t.id !== (s.nextTier?.id ?? s.tier.id));
  // What resuming would charge at renewal: the server's renewal price is null while cancelled, so the tier's monthly bundle times the months.
  const current = creator.tiers.find((t) => t.id === (s.nextTier?.id ?? s.tier.id));
  const resumePrice = current ? current.bundles[`${s.months as 1 | 3 | 6 | 12}`] ?? current.bundles['1'] : null;

  return (
    <section className="card creator-sub" aria-label="Your subscription">
      <p data-testid="subscription-state">{subscriptionText(s)}</p>
      {s.status !== 'expired' && (
        <div className="creator-sub-actions">
          {s.renewalPrice !== null ? (
            <button type="button" className="btn btn-secondary" onClick={() => void cancel()}>
              Cancel renewal
            </button>
          ) : (
            resumePrice !== null && (
              <button type="button" className="btn btn-secondary" onClick={() => setResuming(true)}>
                {s.trial ? 'Keep it after the trial' : 'Resume'}
              </button>
            )
          )}
          {others.map((t) => (
            <button key={t.id} type="button" className="btn btn-link" onClick={() => setChanging(t)}>
              Switch to {t.name} at renewal
            </button>
          ))}
        </div>
      )}
      {s.status === 'grace' && (
        <p>
          <Link to="/wallet">Buy credits</Link> and the renewal is retried.
        </p>
      )}
      <FormError error={error} />
      {resuming && resumePrice !== null && (
        <PayDialog
          title="Renew your subscription?"
          price={resumePrice}
          action="Renew for"
          onClose={() => setResuming(false)}
          pay={async (expectedPrice) => {
            await api(`/api/subscriptions/${s.id}/resume`, { body: { expectedPrice } });
            refresh();
          }}
        >
          <p>Nothing is charged now: on {new Date(s.currentPeriodEnd).toLocaleDateString('en')} your subscription renews at this price.</p>
        </PayDialog>
      )}
      {changing && <TierChangeDialog subscription={s} tier={changing} onClose={() => setChanging(null)} onDone={refresh} />}
    </section>
  );
}

/**
 * Moving to another tier: nothing is charged now; the new tier's price for the same months is shown (and
 * sent as expectedPrice), with the date from which it applies: the next renewal.
 */
function TierChangeDialog({ subscription: s, tier, onClose, onDone }: { subscription: SubscriptionView; tier: TierView; onClose: () => void; onDone: () => void }) {
  const price = tier.bundles[`${s.months as 1 | 3 | 6 | 12}`] ?? tier.bundles['1'];
  return (
    <PayDialog
      title={`Switch to ${tier.name}?`}
      price={price}
      action="Switch for"
      onClose={onClose}
      pay={async (expectedPrice) => {
        await api(`/api/subscriptions/${s.id}/tier`, { body: { tierId: tier.id, expectedPrice } });
        onDone();
      }}
    >
      <p data-testid="tier-change-terms">
        From the next renewal on {dateText(s.currentPeriodEnd)}, you pay <strong>{credits(price)}</strong> {s.months === 1 ? 'a month' : `per ${monthsText(s.months)}`} for {tier.name}.
      </p>
      <p className="hint">Nothing is charged now; until then you keep {s.tier.name}.</p>
    </PayDialog>
  );
}
