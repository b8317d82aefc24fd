import { Link } from 'react-router';

/** The foot of a step: back, skip (nothing saved) and the main action. */
export function StepActions({ onBack, skipTo, submitLabel, busy }: { onBack?: () => void; skipTo?: string; submitLabel: string; busy: boolean }) {
  return (
    <div className="step-actions">
      {onBack && (
        <button type="button" className="btn btn-secondary" onClick={onBack}>
          Back
        </button>
      )}
      <span className="step-actions-spacer" />
      {skipTo && (
        <Link to={`?step=${skipTo}`} className="btn btn-link">
          Skip this step
        </Link>
      )}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Saving…' : submitLabel}
      </button>
    </div>
  );
}
