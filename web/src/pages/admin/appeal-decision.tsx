import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../lib/api.js';
import { errorText } from '../../lib/error-text.js';

/** Uphold an appeal, or reverse its decision (a suspension or ban reversed restores the account). */
export function AppealDecision({ decisionId, name }: { decisionId: number; name: string }) {
  const qc = useQueryClient();
  const review = useMutation({
    mutationFn: (outcome: 'uphold' | 'reverse') => api(`/api/admin/appeals/${decisionId}`, { body: { outcome } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['admin'] }),
  });
  return (
    <div className="decision-form">
      <button type="button" className="btn btn-secondary" disabled={review.isPending} onClick={() => review.mutate('uphold')} aria-label={`Uphold the decision on ${name}`}>
        Uphold
      </button>
      <button type="button" className="btn btn-primary" disabled={review.isPending} onClick={() => review.mutate('reverse')} aria-label={`Reverse the decision on ${name}`}>
        Reverse
      </button>
      {review.error && (
        <p className="form-error" role="alert">
          {errorText(review.error)}
        </p>
      )}
    </div>
  );
}
