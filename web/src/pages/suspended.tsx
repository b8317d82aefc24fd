import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { SuspensionDetails } from '../../../shared/reports.js';
import { PageTitle } from '../components/ui.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { rememberedSuspension, standingSentence } from '../lib/moderation-text.js';

/**
 * /suspended: a suspended or banned person's screen, reached live (the account:standing push, just before
 * the session ends) or from a refused login. Why, until when, and the one appeal, sent with the appeal
 * token the server gave (no sign-in needed).
 */
export default function Suspended() {
  const details = rememberedSuspension(sessionStorage);
  if (!details) {
    return (
      <section className="page narrow">
        <PageTitle>Account standing</PageTitle>
        <p>
          Nothing to show here. <Link to="/login">Log in</Link> to see your account.
        </p>
      </section>
    );
  }
  return <SuspendedNotice details={details} />;
}

export function SuspendedNotice({ details }: { details: SuspensionDetails }) {
  return (
    <section className="page narrow">
      <PageTitle>{details.until ? 'Account suspended' : 'Account banned'}</PageTitle>
      <div className="card">
        <p role="status">
          <strong>{standingSentence(details)}</strong> You have been signed out.
        </p>
        {details.reason && <p>Reason: {details.reason}</p>}
      </div>
      {details.decisionId !== null && <AppealForm decisionId={details.decisionId} appealToken={details.appealToken} />}
    </section>
  );
}

function AppealForm({ decisionId, appealToken }: { decisionId: number; appealToken: string }) {
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fieldId = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) return setError('Write why the decision should change.');
    setBusy(true);
    setError(null);
    try {
      await api('/api/appeals/with-token', { body: { decisionId, body: body.trim(), appealToken } });
      setSent(true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  if (sent) return <p className="card" role="status">Your appeal was sent. An admin will review it; you can appeal a decision once.</p>;
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} noValidate aria-label="Appeal">
      <h2>Appeal this decision</h2>
      <div className="field">
        <label htmlFor={fieldId}>Your appeal</label>
        <textarea id={fieldId} rows={4} maxLength={2000} value={body} onChange={(e) => setBody(e.target.value)} aria-invalid={error ? true : undefined} />
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <p className="hint">Each decision can be appealed once.</p>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Sending…' : 'Send appeal'}
      </button>
    </form>
  );
}
