import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import type { PriceChanged } from '../../../shared/prices.js';
import { ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { credits } from '../lib/creators-format.js';
import { keys, useWallet } from '../lib/queries.js';
import { Dialog } from './dialog.js';

/**
 * The one consent step before credits move (a subscription, a post unlock,
 * a renewal): the price, the balance and a "Pay N credits" button that sends
 * exactly that price. PRICE_CHANGED shows the new price and asks again;
 * INSUFFICIENT_CREDITS links to the wallet; the wallet is refreshed after.
 */
export function PayDialog({
  title,
  price: shown,
  children,
  pay,
  onClose,
  action = 'Pay',
  extraError,
}: {
  title: string;
  price: number;
  /** What is bought and what happens next (renewal), above the button. */
  children: ReactNode;
  /** Sends the request at this price; resolves when done. */
  pay: (expectedPrice: number) => Promise<void>;
  onClose: () => void;
  action?: string;
  /** A sentence of the caller's for a code it expects (e.g. ALREADY_SUBSCRIBED), else errorText. */
  extraError?: (err: unknown) => ReactNode | null;
}) {
  const qc = useQueryClient();
  const wallet = useWallet();
  const [price, setPrice] = useState(shown);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const code = error instanceof ApiError ? error.code : null;

  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await pay(price);
      void qc.invalidateQueries({ queryKey: keys.wallet });
      onClose();
    } catch (err) {
      const changed = err instanceof ApiError && err.code === 'PRICE_CHANGED' ? (err.details as PriceChanged | undefined)?.price : undefined;
      if (typeof changed === 'number') setPrice(changed);
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog title={title} onClose={onClose}>
      {() => (
        <>
          {children}
          {code === 'PRICE_CHANGED' && (
            <p role="alert" className="pay-changed">
              The price changed: it is now {credits(price)}. Pay the new price?
            </p>
          )}
          {wallet.data && <p className="hint">You have {credits(wallet.data.available)}.</p>}
          {code === 'INSUFFICIENT_CREDITS' ? (
            <p className="form-error" role="alert">
              You do not have enough credits for this ({credits(price)}). Nothing was charged. <Link to="/wallet">Buy credits</Link>
            </p>
          ) : (
            error !== null &&
            code !== 'PRICE_CHANGED' && (
              <p className="form-error" role="alert">
                {extraError?.(error) ?? errorText(error)}
              </p>
            )
          )}
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" onClick={() => void go()} disabled={busy} autoFocus>
              {busy ? 'Paying…' : price === 0 ? `${action} · free` : `${action} ${credits(price)}`}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
