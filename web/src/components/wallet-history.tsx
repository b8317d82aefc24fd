import { useMemo } from 'react';
import { Link } from 'react-router';
import type { PaymentView } from '../../../shared/payments.js';
import { formatMoney, paymentStatus, PROVIDER_LABEL, signedCredits, walletEntries } from './wallet-model.js';
import { formatWhen, useTransactions, type usePayments } from './wallet-queries.js';
import { Empty, ErrorNote, Loading } from './ui.js';

const PROVIDER_SHORT: Record<PaymentView['provider'], string> = { sandbox: 'Test payment', razorpay: 'Razorpay', stripe: 'Stripe' };

/** The caller's payments with their status; the query is the page's, shared with the checkout that watches one of them. */
export function WalletPayments({ payments }: { payments: ReturnType<typeof usePayments> }) {
  const list = payments.data?.pages.flat() ?? [];
  return (
    <section className="card wallet-list" aria-labelledby="wallet-payments-title">
      <h2 id="wallet-payments-title" className="wallet-h2">
        Payments
      </h2>
      {payments.isPending ? (
        <Loading label="Loading your payments" />
      ) : payments.isError && list.length === 0 ? (
        <ErrorNote error={payments.error} retry={() => void payments.refetch()} />
      ) : list.length === 0 ? (
        <Empty title="No payments yet.">
          <p>Credit packs you buy show up here with their status.</p>
        </Empty>
      ) : (
        <>
          <ul className="rows" data-testid="payments">
            {list.map((p) => {
              const s = paymentStatus(p.status);
              return (
                <li key={p.id} className="row">
                  <div className="row-main">
                    <span className="row-title">{p.credits.toLocaleString()} credits</span>
                    <span className="row-detail">
                      {formatMoney(p.amountMinor, p.currency)} · <span title={PROVIDER_LABEL[p.provider]}>{PROVIDER_SHORT[p.provider]}</span> ·{' '}
                      <time dateTime={p.createdAt}>{formatWhen(p.createdAt)}</time>
                    </span>
                  </div>
                  <span className={`status-badge tone-${s.tone}`} title={s.explanation}>
                    {s.label}
                  </span>
                </li>
              );
            })}
          </ul>
          {payments.isError && <ErrorNote error={payments.error} retry={() => void payments.refetch()} />}
          {payments.hasNextPage && (
            <button type="button" className="btn btn-secondary more" onClick={() => void payments.fetchNextPage()} disabled={payments.isFetchingNextPage}>
              {payments.isFetchingNextPage ? 'Loading…' : 'Show older payments'}
            </button>
          )}
        </>
      )}
    </section>
  );
}

/** Every movement of the wallet, folded into what happened (one message, one call), signed. */
export function WalletTransactions() {
  const transactions = useTransactions();
  const rows = useMemo(() => transactions.data?.pages.flatMap((p) => p.transactions) ?? [], [transactions.data]);
  const entries = useMemo(() => walletEntries(rows), [rows]);
  return (
    <section className="card wallet-list" aria-labelledby="wallet-transactions-title">
      <h2 id="wallet-transactions-title" className="wallet-h2">
        Activity
      </h2>
      {transactions.isPending ? (
        <Loading label="Loading your activity" />
      ) : transactions.isError && entries.length === 0 ? (
        <ErrorNote error={transactions.error} retry={() => void transactions.refetch()} />
      ) : entries.length === 0 ? (
        <Empty title="No activity yet.">
          <p>Credits you buy and spend on messages and calls show up here.</p>
        </Empty>
      ) : (
        <>
          <ul className="rows" data-testid="transactions">
            {entries.map((e) => (
              <li key={e.id} className={`row entry-${e.state}`}>
                <div className="row-main">
                  <span className="row-title">
                    {e.label}
                    {e.state === 'held' && <span className="status-badge tone-pending">In progress</span>}
                    {e.state === 'released' && <span className="status-badge tone-neutral">Not charged</span>}
                  </span>
                  <span className="row-detail">
                    {e.detail && <>{e.detail} · </>}
                    <time dateTime={e.createdAt}>{formatWhen(e.createdAt)}</time>
                    {e.conversationId && (
                      <>
                        {' · '}
                        <Link to={`/chats/${e.conversationId}`}>Open chat</Link>
                      </>
                    )}
                  </span>
                </div>
                <span className={`amount ${e.amount > 0 ? 'amount-in' : e.amount < 0 ? 'amount-out' : ''}`}>
                  {signedCredits(e.amount)}
                  <span className="visually-hidden"> credits</span>
                </span>
              </li>
            ))}
          </ul>
          {transactions.isError && <ErrorNote error={transactions.error} retry={() => void transactions.refetch()} />}
          {transactions.hasNextPage && (
            <button type="button" className="btn btn-secondary more" onClick={() => void transactions.fetchNextPage()} disabled={transactions.isFetchingNextPage}>
              {transactions.isFetchingNextPage ? 'Loading…' : 'Show older activity'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
