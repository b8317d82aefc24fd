import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { credits, tipAmountError } from '../lib/creators-format.js';
import { keys } from '../lib/queries.js';
import { Dialog } from './dialog.js';

/**
 * A tip to a creator: the amount (within the limits the creator's page
 * gives, or learnt from a refusal) and a note. One clientId per intent, so a retry after a lost
 * answer is the same tip, never a second one.
 */
export function TipDialog({
  creatorId,
  name,
  limits: given,
  onClose,
}: {
  creatorId: string;
  name: string;
  limits?: { min: number; max: number };
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const [amount, setAmount] = useState('10');
  const [note, setNote] = useState('');
  const [clientId, setClientId] = useState(() => crypto.randomUUID());
  const [limits, setLimits] = useState<{ min: number; max: number } | null>(given ?? null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<number | null>(null);
  const amountId = useId();
  const noteId = useId();
  const problem = tipAmountError(amount, limits);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (problem) return;
    setBusy(true);
    setError(null);
    try {
      await api('/api/tips', { body: { creatorId, amount: Number(amount), note: note.trim() || undefined, clientId } });
      setSent(Number(amount));
      setClientId(crypto.randomUUID());
      void qc.invalidateQueries({ queryKey: keys.wallet });
    } catch (err) {
      const d = err instanceof ApiError ? (err.details as { min?: number; max?: number } | undefined) : undefined;
      if (typeof d?.min === 'number' && typeof d.max === 'number') setLimits({ min: d.min, max: d.max });
      // A refusal is final for these details: the next try is a new intent.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) setClientId(crypto.randomUUID());
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Tip ${name}`} onClose={onClose}>
      {() =>
        sent !== null ? (
          <>
            <p role="status">
              You tipped {name} {credits(sent)}. Thank you!
            </p>
            <div className="dialog-actions">
              <button type="button" className="btn btn-primary" onClick={onClose} autoFocus>
                Done
              </button>
            </div>
          </>
        ) : (
          <form onSubmit={(e) => void send(e)}>
            <div className="field">
              <label htmlFor={amountId}>Amount (credits)</label>
              <input id={amountId} type="number" inputMode="numeric" min={limits?.min ?? 1} max={limits?.max} step={1} value={amount} onChange={(e) => setAmount(e.target.value)} aria-invalid={problem ? true : undefined} />
              {problem && <small className="field-error">{problem}</small>}
            </div>
            <div className="field">
              <label htmlFor={noteId}>Note (optional)</label>
              <textarea id={noteId} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} rows={2} />
            </div>
            {error !== null && (
              <p className="form-error" role="alert">
                {error instanceof ApiError && error.code === 'INSUFFICIENT_CREDITS' ? (
                  <>
                    You do not have enough credits for this tip. Nothing was charged. <Link to="/wallet">Buy credits</Link>
                  </>
                ) : limits && error instanceof ApiError && error.code === 'VALIDATION_FAILED' ? (
                  `A tip is from ${credits(limits.min)} to ${credits(limits.max)}.`
                ) : (
                  errorText(error)
                )}
              </p>
            )}
            <div className="dialog-actions">
              <button type="button" className="btn btn-secondary" onClick={onClose}>
                Cancel
              </button>
              <button type="submit" className="btn btn-primary" disabled={busy || problem !== null}>
                {busy ? 'Sending…' : problem ? 'Send tip' : `Send ${credits(Number(amount))}`}
              </button>
            </div>
          </form>
        )
      }
    </Dialog>
  );
}
