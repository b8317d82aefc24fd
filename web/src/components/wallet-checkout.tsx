import { useCallback, useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { CheckoutResult, PaymentView } from '../../../shared/payments.js';
import { api, ApiError, newIdempotencyKey } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { useSession } from '../lib/session.js';
import type { PackChoice } from './wallet-packs.js';
import { openRazorpay } from './wallet-razorpay.js';
import { walletKeys } from './wallet-queries.js';
import {
  checkoutAfterReturn,
  checkoutErrorText,
  formatMoney,
  hostedClientOf,
  keyAfterFailure,
  loadCheckout,
  paymentStatus,
  PROVIDER_NAME,
  razorpayClientOf,
  razorpayOptions,
  saveCheckout,
  webFlow,
  type CheckoutReturn,
  type TrackedCheckout,
} from './wallet-model.js';

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

const noStore = { getItem: () => null, setItem: () => undefined, removeItem: () => undefined };

/**
 * One purchase at a time, from the pack chosen to the provider's verdict.
 * The intent (pack, provider, currency) gets one Idempotency-Key, kept in
 * sessionStorage with the checkout: a retry after no answer, or a reload
 * while the request was out, sends the same key and finds the same payment
 * rather than opening a second one. A Stripe payment leaves the app for
 * Stripe Checkout's page; the tab's sessionStorage is still there when
 * Stripe sends it back to /wallet?payment=<id> (see `returned`).
 */
export function useCheckout(userId: string) {
  const store = storage() ?? noStore;
  const [tracked, setTracked] = useState<TrackedCheckout | null>(() => loadCheckout(store, userId));
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ref = useRef(tracked);
  const { user } = useSession();
  const qc = useQueryClient();
  // The payments list shows a payment from the moment it is opened, and each step it takes.
  const refreshPayments = useCallback(() => void qc.invalidateQueries({ queryKey: walletKeys.payments }), [qc]);

  const update = useCallback(
    (next: TrackedCheckout | null) => {
      ref.current = next;
      setTracked(next);
      saveCheckout(store, userId, next);
    },
    [store, userId],
  );

  const launchRazorpay = useCallback(
    async (c: TrackedCheckout) => {
      const client = razorpayClientOf(c.client);
      if (!client || !user) return setError(new Error('This payment cannot be opened in Razorpay.'));
      setNote(null);
      try {
        await openRazorpay(razorpayOptions(client, { name: user.displayName, email: user.email }, c.credits), {
          paid: () => {
            const cur = ref.current;
            if (cur?.payment?.id === c.payment?.id) update({ ...cur!, phase: 'confirming', since: Date.now() });
          },
          attemptFailed: (reason) => setNote(`That attempt did not go through${reason ? `: ${reason}` : ''}. You can try again in the Razorpay window.`),
          dismissed: () => setNote('You closed the Razorpay window. Nothing is charged unless you completed the payment there.'),
        });
      } catch (err) {
        setError(err);
      }
    },
    [update, user],
  );

  /** To Stripe Checkout's page, by top-level navigation (no script of Stripe's runs here, so the CSP needs nothing for it). */
  const leaveForHostedPage = useCallback((c: TrackedCheckout) => {
    const hosted = hostedClientOf(c.client);
    if (!hosted) return setError(new Error('This payment cannot be opened on Stripe’s page.'));
    window.location.assign(hosted.checkoutUrl);
  }, []);

  const open = useCallback(
    async (c: TrackedCheckout) => {
      setBusy(true);
      setError(null);
      setNote(null);
      try {
        const res = await api<CheckoutResult>('/api/payments/checkout', {
          body: { packId: c.packId, provider: c.provider, currency: c.currency, flow: webFlow(c.provider) },
          idempotencyKey: c.key,
        });
        const next: TrackedCheckout = { ...c, phase: 'open', since: Date.now(), payment: res.payment, client: res.client };
        update(next);
        refreshPayments();
        if (next.provider === 'razorpay') void launchRazorpay(next);
        if (webFlow(next.provider) === 'hosted') leaveForHostedPage(next);
      } catch (err) {
        setError(err);
        // Keep the key when the server may have opened the payment; a key it closed for good is replaced.
        if (err instanceof ApiError && keyAfterFailure(err.code) === 'renew') update({ ...c, key: newIdempotencyKey() });
      } finally {
        setBusy(false);
      }
    },
    [update, launchRazorpay, refreshPayments, leaveForHostedPage],
  );

  // A reload while the checkout request was out: ask again with the same key (the server answers the same payment).
  const resumed = useRef(false);
  useEffect(() => {
    if (resumed.current) return;
    resumed.current = true;
    if (ref.current?.phase === 'opening') void open(ref.current);
  }, [open]);

  const start = useCallback(
    (choice: PackChoice) => {
      const price = choice.pack.prices[choice.currency];
      if (!price) return;
      const c: TrackedCheckout = {
        key: newIdempotencyKey(),
        packId: choice.pack.id,
        provider: choice.provider,
        currency: choice.currency,
        credits: choice.pack.credits,
        amountMinor: price,
        phase: 'opening',
        since: Date.now(),
      };
      update(c);
      void open(c);
    },
    [open, update],
  );

  /** The sandbox customer pays or refuses: a signed webhook through the same path as real providers. */
  const sandbox = useCallback(
    async (action: 'succeed' | 'fail') => {
      const c = ref.current;
      if (!c?.payment) return;
      setBusy(true);
      setError(null);
      try {
        await api(`/api/payments/sandbox/${c.payment.id}`, { body: { action } });
        update({ ...c, phase: 'confirming', since: Date.now() });
        refreshPayments();
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
    [update, refreshPayments],
  );

  const retry = useCallback(() => {
    if (ref.current) void open(ref.current);
  }, [open]);

  const clear = useCallback(() => {
    setError(null);
    setNote(null);
    update(null);
  }, [update]);

  /** The same pack again after a failure: a new intent, so a new key (the old key's payment has failed). */
  const again = useCallback(() => {
    const c = ref.current;
    if (!c) return;
    const next: TrackedCheckout = { key: newIdempotencyKey(), packId: c.packId, provider: c.provider, currency: c.currency, credits: c.credits, amountMinor: c.amountMinor, phase: 'opening', since: Date.now() };
    setError(null);
    update(next);
    void open(next);
  }, [open, update]);

  const reopenRazorpay = useCallback(() => {
    if (ref.current) void launchRazorpay(ref.current);
  }, [launchRazorpay]);

  /**
   * Back from a hosted checkout page with the payment's id: wait for the
   * provider's word on it, or, when the person left without paying, offer
   * its page again. `found` is the payment as the server lists it, for a
   * return to a tab that did not start it. False when there is nothing to show.
   */
  const returned = useCallback(
    (ret: CheckoutReturn, found: PaymentView | undefined): boolean => {
      const next = checkoutAfterReturn(ref.current, ret, found, Date.now(), newIdempotencyKey);
      if (!next) return false;
      setError(null);
      setNote(ret.cancelled ? `You left ${PROVIDER_NAME[next.provider]}’s page without paying. Nothing was charged.` : null);
      update(next);
      refreshPayments();
      return true;
    },
    [update, refreshPayments],
  );

  return { tracked, error, note, busy, start, sandbox, retry, again, clear, reopenRazorpay, returned };
}

export type Checkout = ReturnType<typeof useCheckout>;

function checkoutError(err: unknown): string {
  if (err instanceof ApiError) return checkoutErrorText(err.code) ?? errorText(err);
  if (err instanceof Error && /Razorpay/.test(err.message)) return `${err.message}. Check your connection and try again.`;
  if (err instanceof Error && /Stripe/.test(err.message)) return `${err.message} Start again, or pick another way to pay.`;
  return errorText(err);
}

const TITLE: Record<TrackedCheckout['provider'], string> = {
  sandbox: 'Test payment — no real money',
  stripe: 'Pay with card (Stripe)',
  razorpay: 'Pay with Razorpay',
};

/**
 * The purchase in progress: the sandbox's "Test payment — no real money"
 * panel, the way to Stripe's page, or the hand-off to Razorpay; then the
 * payment's status until it settles, and what it did to the wallet.
 */
export function WalletCheckout({ checkout, payment }: { checkout: Checkout; payment: PaymentView | undefined }) {
  const { tracked, error, note, busy } = checkout;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const statusRef = useRef<HTMLParagraphElement>(null);
  const phase = tracked?.phase;
  const status = payment ? paymentStatus(payment.status) : undefined;
  const settled = status?.settled ?? false;

  // Focus follows the purchase: to the panel when it opens, to the status once the person has acted.
  useEffect(() => {
    headingRef.current?.focus();
  }, [tracked?.key]);
  useEffect(() => {
    if (phase === 'confirming' || settled) statusRef.current?.focus();
  }, [phase, settled]);

  if (!tracked) return null;
  const price = formatMoney(tracked.amountMinor, tracked.currency);
  const what = `${tracked.credits.toLocaleString()} credits for ${price}`;
  const sandbox = tracked.provider === 'sandbox';
  const title = settled ? (payment!.status === 'succeeded' ? 'Payment received' : `Payment ${status!.label.toLowerCase()}`) : TITLE[tracked.provider];

  return (
    <section className={`card wallet-checkout${sandbox ? ' wallet-checkout-sandbox' : ''} tone-${status?.tone ?? 'pending'}`} aria-labelledby="wallet-checkout-title" data-testid="checkout-panel">
      {sandbox && !settled && (
        <p className="sandbox-chip" aria-hidden="true">
          Test mode
        </p>
      )}
      <h2 id="wallet-checkout-title" className="wallet-h2" tabIndex={-1} ref={headingRef}>
        {title}
      </h2>
      <p className="checkout-what">{what}</p>

      {settled ? (
        <>
          <p className="checkout-status" role="status" tabIndex={-1} ref={statusRef}>
            <span className={`status-badge tone-${status!.tone}`}>{status!.label}</span>{' '}
            {payment!.status === 'succeeded' ? `${tracked.credits.toLocaleString()} credits were added to your wallet.` : status!.explanation}
          </p>
          <div className="checkout-actions">
            <button type="button" className="btn btn-primary" onClick={checkout.clear}>
              Done
            </button>
            {payment!.status !== 'succeeded' && (
              <button type="button" className="btn btn-secondary" onClick={checkout.again}>
                Try again
              </button>
            )}
          </div>
        </>
      ) : phase === 'opening' || !tracked.payment ? (
        <>
          {busy || !error ? (
            <p role="status" className="checkout-status">
              <span className="spinner" aria-hidden="true" />
              Opening the payment…
            </p>
          ) : (
            <div className="state-error checkout-error" role="alert">
              <p>{checkoutError(error)}</p>
            </div>
          )}
          <div className="checkout-actions">
            {error != null && !busy && (
              <button type="button" className="btn btn-primary" onClick={checkout.retry}>
                Try again
              </button>
            )}
            <button type="button" className="btn btn-link" onClick={checkout.clear} disabled={busy}>
              Cancel
            </button>
          </div>
        </>
      ) : phase === 'confirming' ? (
        <p className="checkout-status" role="status" tabIndex={-1} ref={statusRef}>
          <span className="spinner" aria-hidden="true" />
          Waiting for {PROVIDER_NAME[tracked.provider]} to confirm the payment… Your balance updates by itself.
        </p>
      ) : sandbox ? (
        <>
          <p>
            This Pairly takes test payments only. Choose what the pretend customer does: <strong>Pay</strong> completes the purchase as a real payment
            would (through a signed webhook), <strong>Fail</strong> shows a declined payment. No money moves either way.
          </p>
          {error != null && (
            <div className="state-error checkout-error" role="alert">
              <p>{checkoutError(error)}</p>
            </div>
          )}
          <div className="checkout-actions">
            <button type="button" className="btn btn-primary" onClick={() => void checkout.sandbox('succeed')} disabled={busy}>
              Pay {price}
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => void checkout.sandbox('fail')} disabled={busy}>
              Fail
            </button>
            <button type="button" className="btn btn-link" onClick={checkout.clear} disabled={busy}>
              Cancel
            </button>
          </div>
        </>
      ) : tracked.provider === 'stripe' ? (
        <StripePage checkout={checkout} />
      ) : (
        <>
          <p>Razorpay’s window takes the payment (UPI, cards, netbanking). Your credits arrive once Razorpay confirms it to Pairly.</p>
          {note && (
            <p className="checkout-note" role="status">
              {note}
            </p>
          )}
          {error != null && (
            <div className="state-error checkout-error" role="alert">
              <p>{checkoutError(error)}</p>
            </div>
          )}
          <div className="checkout-actions">
            <button type="button" className="btn btn-primary" onClick={checkout.reopenRazorpay}>
              Open Razorpay
            </button>
            <button type="button" className="btn btn-link" onClick={checkout.clear}>
              Cancel
            </button>
          </div>
        </>
      )}
      {!settled && tracked.payment && status && (
        <p className="hint checkout-foot">
          Status: {status.label}. {status.explanation}
        </p>
      )}
    </section>
  );
}

/** Stripe Checkout: the way (back) to Stripe's page while it takes the payment, or a fresh start once it has expired. */
function StripePage({ checkout }: { checkout: Checkout }) {
  const { tracked, error, note, busy } = checkout;
  const hosted = hostedClientOf(tracked?.client);
  const expired = hosted?.expiresAt !== undefined && hosted.expiresAt <= Date.now();
  return (
    <>
      <p>Stripe’s secure payment page takes your card. You come back here afterwards, and your credits arrive once Stripe confirms the payment to Pairly.</p>
      {note && (
        <p className="checkout-note" role="status">
          {note}
        </p>
      )}
      {(expired || !hosted) && <p className="checkout-note">Stripe’s page for this payment is closed. Nothing was charged; start again to pay.</p>}
      {error != null && (
        <div className="state-error checkout-error" role="alert">
          <p>{checkoutError(error)}</p>
        </div>
      )}
      <div className="checkout-actions">
        {hosted && !expired ? (
          <a className="btn btn-primary" href={hosted.checkoutUrl}>
            Continue to Stripe
          </a>
        ) : (
          <button type="button" className="btn btn-primary" onClick={checkout.again} disabled={busy}>
            Start again
          </button>
        )}
        <button type="button" className="btn btn-link" onClick={checkout.clear} disabled={busy}>
          Cancel
        </button>
      </div>
    </>
  );
}
