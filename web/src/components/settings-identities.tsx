import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { LinkedIdentities, LinkedIdentityView } from '../../../shared/auth.js';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { formatWhen } from './wallet-queries.js';
import { ErrorNote, Loading } from './ui.js';

export const identitiesKey = ['identities'] as const;

const LABEL: Record<LinkedIdentityView['provider'], string> = { google: 'Google', apple: 'Apple' };

/**
 * Linked sign-ins (GET /api/auth/identities): the providers that sign in to this account, each of which can be
 * unlinked (DELETE /api/auth/identities/:provider) unless it is the only way in: without a password the last
 * one stays (LAST_SIGN_IN_METHOD), and the page says why before anyone presses the button.
 */
export function SettingsIdentities() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: identitiesKey, queryFn: () => api<LinkedIdentities>('/api/auth/identities') });
  const [done, setDone] = useState<string | null>(null);
  const unlink = useMutation({
    mutationFn: (provider: LinkedIdentityView['provider']) => api<LinkedIdentities>(`/api/auth/identities/${provider}`, { method: 'DELETE' }),
    onSuccess: (next, provider) => {
      setDone(`${LABEL[provider]} no longer signs in to your account.`);
      qc.setQueryData(identitiesKey, next);
    },
    onError: (err) => {
      setDone(null);
      // Unlinked elsewhere meanwhile: show the list as it is now.
      if (err instanceof ApiError && err.code === 'NOT_FOUND') void qc.invalidateQueries({ queryKey: identitiesKey });
    },
  });
  const identities = q.data?.identities ?? [];
  const onlyWayIn = q.data !== undefined && !q.data.hasPassword && identities.length === 1;

  return (
    <section className="card settings-card" aria-labelledby="settings-identities-title">
      <h2 id="settings-identities-title">Linked sign-ins</h2>
      <p className="hint settings-lead">Accounts at other services that sign you in here. To link one, sign in with it on the sign-in page: we mail you a link to confirm.</p>
      <p role="status" className="settings-saved">
        {done ?? ''}
      </p>
      {unlink.isError && (
        <p className="form-error" role="alert">
          {errorText(unlink.error)}
        </p>
      )}
      {q.isPending ? (
        <Loading label="Loading your linked sign-ins" />
      ) : q.isError ? (
        <ErrorNote error={q.error} retry={() => void q.refetch()} />
      ) : identities.length === 0 ? (
        <p className="hint">No linked sign-ins: you sign in with your email and password.</p>
      ) : (
        <>
          <ul className="settings-rows" aria-label="Linked sign-ins">
            {identities.map((i) => (
              <li key={i.provider} className="settings-row">
                <div className="settings-row-main">
                  <span className="settings-row-title">{LABEL[i.provider]}</span>
                  <span className="hint">
                    {i.email ?? 'No address shared'} · linked <time dateTime={i.linkedAt}>{formatWhen(i.linkedAt)}</time>
                  </span>
                </div>
                <button
                  type="button"
                  className="btn btn-secondary"
                  onClick={() => unlink.mutate(i.provider)}
                  disabled={onlyWayIn || (unlink.isPending && unlink.variables === i.provider)}
                  aria-label={`Unlink ${LABEL[i.provider]}`}
                >
                  Unlink
                </button>
              </li>
            ))}
          </ul>
          {onlyWayIn && <p className="hint">This is the only way into your account. Set a password first (“Forgot password” on the sign-in page), then you can unlink it.</p>}
        </>
      )}
    </section>
  );
}
