import { useCallback, useEffect, useMemo, useRef } from 'react';
import { useSearchParams } from 'react-router';
import type { PaymentView } from '../../../shared/payments.js';
import { Empty, PageTitle } from '../components/ui.js';
import { WalletBalance } from '../components/wallet-balance.js';
import { useCheckout, WalletCheckout } from '../components/wallet-checkout.js';
import { WalletPayments, WalletTransactions } from '../components/wallet-history.js';
import { checkoutReturnOf, confirmPollDelay, paymentStatus, type CheckoutReturn } from '../components/wallet-model.js';
import { WalletPacks } from '../components/wallet-packs.js';
import { usePayments } from '../components/wallet-queries.js';
import { useSession } from '../lib/session.js';
import './wallet.css';

/**
 * The wallet: the balance (live through `wallet:updated`), buying a credit
 * pack, the purchase in progress until its payment settles, and the history
 * of payments and of the wallet's movements. Stripe Checkout's page sends
 * the person back to /wallet?payment=<id>: that payment is then shown until
 * it settles.
 */
export default function Wallet() {
  const { user } = useSession();
  if (user?.role === 'admin') {
    return (
      <section className="page wallet">
        <PageTitle>Wallet</PageTitle>
        <Empty title="Admin accounts have no wallet." />
      </section>
    );
  }
  return <FanWallet />;
}

function FanWallet() {
  const { user } = useSession();
  const checkout = useCheckout(user!.id);
  const tracked = useRef(checkout.tracked);
  tracked.current = checkout.tracked;

  // Asks for the watched payment's status only while its verdict is awaited (a failure is pushed to no one).
  const poll = useCallback((pages: PaymentView[][] | undefined): number | false => {
    const c = tracked.current;
    if (!c?.payment || c.phase !== 'confirming') return false;
    const seen = pages?.[0]?.find((p) => p.id === c.payment!.id);
    if (seen && paymentStatus(seen.status).settled) return false;
    return confirmPollDelay(Date.now() - c.since);
  }, []);
  const payments = usePayments(poll);

  // Back from a hosted checkout page: show that payment (once it can be found), then drop the query so a reload does not replay it.
  const [params, setParams] = useSearchParams();
  const back = useMemo(() => checkoutReturnOf(params), [params]);
  const { returned } = checkout;
  const trackedId = checkout.tracked?.payment?.id;
  const listed = useMemo(() => payments.data?.pages.flat(), [payments.data]);
  const handled = useRef<CheckoutReturn | null>(null);
  useEffect(() => {
    if (!back || handled.current === back) return;
    // The tab's own checkout is known at once; another's waits for the payments list (or its failure).
    if (trackedId !== back.paymentId && !listed && !payments.isError) return;
    handled.current = back;
    returned(back, listed?.find((p) => p.id === back.paymentId));
    setParams({}, { replace: true });
  }, [back, trackedId, listed, payments.isError, returned, setParams]);

  const watched = checkout.tracked?.payment ? (payments.data?.pages.flat().find((p) => p.id === checkout.tracked!.payment!.id) ?? checkout.tracked.payment) : undefined;

  return (
    <section className="page wallet">
      <PageTitle>Wallet</PageTitle>
      <div className="wallet-top">
        <WalletBalance />
        {checkout.tracked ? (
          <WalletCheckout checkout={checkout} payment={watched} />
        ) : (
          <section className="card wallet-buy-card" aria-labelledby="wallet-buy-title">
            <h2 id="wallet-buy-title" className="wallet-h2">
              Buy credits
            </h2>
            <p className="hint">Credits pay for messages and calls with creators. You always see the price in credits before you pay.</p>
            <WalletPacks onBuy={checkout.start} />
          </section>
        )}
      </div>
      <div className="wallet-lists">
        <WalletPayments payments={payments} />
        <WalletTransactions />
      </div>
    </section>
  );
}
