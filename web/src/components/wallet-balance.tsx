import { useWallet } from '../lib/queries.js';
import { useSession } from '../lib/session.js';
import { Credits, ErrorNote, Loading } from './ui.js';

/** Why a wallet can be under review, in words (the ledger's flag reasons). */
function flagText(reason: string): string {
  if (reason.startsWith('chargeback')) return 'A payment of yours was disputed with your bank after its credits were spent, so your wallet is under review.';
  if (reason.startsWith('refund')) return 'A payment of yours was refunded after its credits were spent, so your wallet is under review.';
  return 'Your wallet is under review.';
}

/** Available, held and owed credits, each with what it means; live through `wallet:updated`. */
export function WalletBalance() {
  const wallet = useWallet();
  const { user } = useSession();
  return (
    <section className="card wallet-balance" aria-labelledby="wallet-balance-title">
      <h2 id="wallet-balance-title" className="wallet-h2">
        Balance
      </h2>
      {wallet.isPending ? (
        <Loading label="Loading your balance" />
      ) : wallet.isError ? (
        <ErrorNote error={wallet.error} retry={() => void wallet.refetch()} />
      ) : (
        <>
          <p className="balance-main">
            <span className="balance-number" data-testid="wallet-available">
              {wallet.data.available.toLocaleString()}
            </span>{' '}
            <span className="balance-unit">credit{wallet.data.available === 1 ? '' : 's'} available</span>
          </p>
          <p className="hint balance-lead">
            {wallet.data.available === 0
              ? 'Your wallet is empty. Buy credits below to send paid messages and call creators.'
              : 'Credits you can spend now on messages and calls.'}
          </p>
          <dl className="balance-parts">
            <div>
              <dt>Held</dt>
              <dd>
                <Credits amount={wallet.data.held} />
                <small className="hint">Reserved while a call runs; what is not used comes back.</small>
              </dd>
            </div>
            <div>
              <dt>Owed</dt>
              <dd>
                <Credits amount={wallet.data.debt} />
                <small className="hint">
                  {wallet.data.debt > 0
                    ? 'Credits spent from a payment that was later refunded or disputed. Your next purchase pays this back first.'
                    : 'Nothing. Credits spent from a payment that is later refunded would show here.'}
                </small>
              </dd>
            </div>
          </dl>
          {wallet.data.flagged && (
            <p className="wallet-flag" role="note">
              <strong>Under review.</strong> {flagText(wallet.data.flagged)} You can keep using Pairly; contact support if this looks wrong.
            </p>
          )}
          {(user?.role === 'creator' || wallet.data.earnings > 0) && (
            <div className="wallet-earnings">
              <p className="balance-main">
                <span className="balance-number" data-testid="wallet-earnings">
                  {wallet.data.earnings.toLocaleString()}
                </span>{' '}
                <span className="balance-unit">credit{wallet.data.earnings === 1 ? '' : 's'} earned</span>
              </p>
              <p className="hint">What fans paid you for messages and call minutes, after Pairly&rsquo;s fee. Earnings are kept apart from this wallet and paid out to you; they update as fans pay.</p>
            </div>
          )}
        </>
      )}
    </section>
  );
}
