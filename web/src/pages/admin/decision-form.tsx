import { useId, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { DecisionAction, DecisionBody, DecisionView } from '../../../../shared/reports.js';
import { api } from '../../lib/api.js';
import { errorText } from '../../lib/error-text.js';
import { ACTION_TEXT } from '../../lib/moderation-text.js';

/**
 * An admin's decision on one user (POST /api/admin/users/:id/decisions): the action, the reason the user and
 * the audit log read, and for a suspension its end. Shared by the reports queue and a user's page; `actions`
 * is what fits where it is shown. Every admin query is refreshed after a decision.
 */
export function DecisionForm({ userId, name, actions, extra }: { userId: string; name: string; actions: DecisionAction[]; extra?: Partial<DecisionBody> }) {
  const qc = useQueryClient();
  const [action, setAction] = useState<DecisionAction>(actions[0]!);
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const ids = { action: useId(), reason: useId(), until: useId() };
  const decide = useMutation({
    mutationFn: (body: DecisionBody) => api<{ decision: DecisionView; settled: number }>(`/api/admin/users/${userId}/decisions`, { body }),
    onSuccess: (r) => {
      setDone(`${name}: ${ACTION_TEXT[r.decision.action].toLowerCase()}.`);
      void qc.invalidateQueries({ queryKey: ['admin'] });
    },
    onError: (err) => setProblem(errorText(err)),
  });
  return (
    <form
      className="decision-form"
      aria-label={`Decide on ${name}`}
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        if (!reason.trim()) return setProblem('Write the reason (the user and the audit log read it).');
        if (action === 'suspend' && !until) return setProblem('Choose when the suspension ends.');
        setProblem(null);
        decide.mutate({ ...extra, action, reason: reason.trim(), ...(action === 'suspend' ? { until: new Date(until).toISOString() } : {}) });
      }}
    >
      <div className="field">
        <label htmlFor={ids.action}>Decision</label>
        <select id={ids.action} value={action} onChange={(e) => setAction(e.target.value as DecisionAction)}>
          {actions.map((a) => (
            <option key={a} value={a}>
              {actionLabel(a)}
            </option>
          ))}
        </select>
      </div>
      {action === 'suspend' && (
        <div className="field">
          <label htmlFor={ids.until}>Suspended until</label>
          <input id={ids.until} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
        </div>
      )}
      <div className="field">
        <label htmlFor={ids.reason}>Reason</label>
        <input id={ids.reason} value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} />
      </div>
      <button type="submit" className="btn btn-primary" disabled={decide.isPending}>
        {decide.isPending ? 'Saving…' : 'Apply'}
      </button>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {done && (
        <p className="verdict verdict-ok" role="status">
          {done}
        </p>
      )}
    </form>
  );
}

const LABELS: Record<DecisionAction, string> = { dismiss: 'Dismiss the reports', remove_content: 'Remove the content', warn: 'Warn', suspend: 'Suspend', ban: 'Ban', restore: 'Restore the account' };
const actionLabel = (a: DecisionAction) => LABELS[a];
