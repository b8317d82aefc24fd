import { useId, useState } from 'react';

/**
 * Approve, or reject with a reason the other side reads (at least 3 characters): the decision form of the
 * admin queues (verification, payouts). `label` names the item for the buttons' accessible names.
 */
export function DecideForm({ label, busy, onDecide }: { label: string; busy: boolean; onDecide: (reason: string | null) => void }) {
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const reasonId = useId();
  return (
    <form
      className="verification-decide"
      onSubmit={(e) => {
        e.preventDefault();
        if (reason.trim().length < 3) return setProblem('Write the reason the creator will read (at least 3 characters).');
        setProblem(null);
        onDecide(reason.trim());
      }}
    >
      <button type="button" className="btn btn-primary" disabled={busy} onClick={() => onDecide(null)} aria-label={`Approve ${label}`}>
        Approve
      </button>
      <div className="field">
        <label htmlFor={reasonId}>Reason to reject</label>
        <input id={reasonId} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
      </div>
      <button type="submit" className="btn btn-secondary" disabled={busy} aria-label={`Reject ${label}`}>
        Reject
      </button>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
