import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { SessionView } from '../../../shared/auth.js';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { useSession } from '../lib/session.js';
import { formatWhen } from './wallet-queries.js';
import { ErrorNote, Loading } from './ui.js';

export const sessionsKey = ['sessions'] as const;

/**
 * Where the account is logged in (GET /api/auth/sessions): each device with
 * its network, when it logged in and was last active; any other one can be
 * logged out (DELETE /api/auth/sessions/:id), or all of them at once
 * (POST /api/auth/sessions/revoke-others), this one through the usual logout.
 */
export function SettingsSessions() {
  const { logout } = useSession();
  const qc = useQueryClient();
  const sessions = useQuery({ queryKey: sessionsKey, queryFn: async () => (await api<{ sessions: SessionView[] }>('/api/auth/sessions')).sessions });
  const [done, setDone] = useState<string | null>(null);
  const end = useMutation({
    mutationFn: async (s: SessionView) => {
      try {
        await api(`/api/auth/sessions/${s.id}`, { method: 'DELETE' });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'NOT_FOUND')) throw err;
      }
    },
    onSuccess: (_r, s) => {
      setDone(`Logged out ${s.device}.`);
      qc.setQueryData<SessionView[]>(sessionsKey, (old) => old?.filter((x) => x.id !== s.id));
    },
    onError: () => setDone(null),
  });
  const endOthers = useMutation({
    mutationFn: () => api<{ revoked: number }>('/api/auth/sessions/revoke-others', { method: 'POST' }),
    onSuccess: ({ revoked }) => {
      setDone(revoked ? `Logged out ${revoked} other device${revoked === 1 ? '' : 's'}.` : 'No other device was logged in.');
      qc.setQueryData<SessionView[]>(sessionsKey, (old) => old?.filter((x) => x.current));
    },
    onError: () => setDone(null),
  });
  // This device first, then the most recently active.
  const list = sessions.data ? [...sessions.data].sort((a, b) => Number(b.current) - Number(a.current)) : [];

  return (
    <section className="card settings-card" aria-labelledby="settings-sessions-title">
      <h2 id="settings-sessions-title">Where you are logged in</h2>
      <p className="hint settings-lead">Each device stays logged in until it logs out. If you do not recognise one, log it out here.</p>
      <p role="status" className="settings-saved">
        {done ?? ''}
      </p>
      {(end.isError || endOthers.isError) && (
        <p className="form-error" role="alert">
          {errorText(end.error ?? endOthers.error)}
        </p>
      )}
      {sessions.isPending ? (
        <Loading label="Loading your sessions" />
      ) : sessions.isError ? (
        <ErrorNote error={sessions.error} retry={() => void sessions.refetch()} />
      ) : (
        <ul className="settings-rows" aria-label="Sessions">
          {list.map((s) => {
            const device = s.device;
            return (
              <li key={s.id} className="settings-row" data-testid={s.current ? 'session-current' : 'session'}>
                <div className="settings-row-main">
                  <span className="settings-row-title">
                    {device}
                    {s.current && <span className="settings-badge">This device</span>}
                  </span>
                  <span className="hint">
                    {s.place === 'unknown' ? 'Network unknown' : `Network ${s.place}`} · logged in <time dateTime={s.createdAt}>{formatWhen(s.createdAt)}</time> · active{' '}
                    <time dateTime={s.lastUsedAt}>{formatWhen(s.lastUsedAt)}</time>
                  </span>
                </div>
                {s.current ? (
                  <button type="button" className="btn btn-secondary" onClick={() => void logout()} aria-label="Log out of this device">
                    Log out
                  </button>
                ) : (
                  <button
                    type="button"
                    className="btn btn-secondary"
                    onClick={() => end.mutate(s)}
                    disabled={end.isPending && end.variables?.id === s.id}
                    aria-label={`Log out ${device}, logged in ${formatWhen(s.createdAt)}`}
                  >
                    Log out
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {list.length > 1 && (
        <button type="button" className="btn btn-secondary" onClick={() => endOthers.mutate()} disabled={endOthers.isPending}>
          Log out everywhere else
        </button>
      )}
    </section>
  );
}
