import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import type { AccountDeletion, ExportView } from '../../../shared/erasure.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { saveFile } from '../lib/save-file.js';
import { useSession } from '../lib/session.js';
import { secondFactor, twoFactorQuery } from './settings-two-factor.js';
import { formatWhen } from './wallet-queries.js';
import { ErrorNote, Field, Loading } from './ui.js';

const exportsKey = ['exports'] as const;

/** Downloads an archive (it needs the bearer token, so it cannot be a plain link). */
async function saveArchive(e: ExportView): Promise<void> {
  saveFile(await api<string>(`/api/me/exports/${e.id}`, { as: 'text' }), 'application/json', `pairly-export-${e.requestedAt.slice(0, 10)}.json`);
}

/** "Download my data": ask for an export (one a day; a mail says when it is ready), then download it here. */
export function SettingsExport() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: exportsKey, queryFn: async () => (await api<{ exports: ExportView[] }>('/api/me/exports')).exports });
  const ask = useMutation({
    mutationFn: () => api<{ export: ExportView }>('/api/me/export', { method: 'POST' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: exportsKey }),
  });
  const save = useMutation({ mutationFn: saveArchive });
  return (
    <section className="card settings-card" aria-labelledby="settings-export-title">
      <h2 id="settings-export-title">Download my data</h2>
      <p className="hint settings-lead">A copy of your account, profile, conversations (your own messages), subscriptions and wallet history, as a JSON file. We email you when it is ready; it can be downloaded for a week.</p>
      {(ask.isError || save.isError) && (
        <p className="form-error" role="alert">
          {errorText(ask.error ?? save.error)}
        </p>
      )}
      {list.isPending ? (
        <Loading label="Loading your exports" />
      ) : list.isError ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <p className="hint">No copy asked for in the last week.</p>
      ) : (
        <ul className="settings-rows" aria-label="Exports">
          {list.data.map((e) => (
            <li key={e.id} className="settings-row">
              <span className="settings-row-main">
                Asked <time dateTime={e.requestedAt}>{formatWhen(e.requestedAt)}</time>
              </span>
              {e.readyAt ? (
                <button type="button" className="btn btn-secondary" onClick={() => save.mutate(e)} disabled={save.isPending}>
                  Download
                </button>
              ) : (
                <button type="button" className="btn btn-secondary" onClick={() => void list.refetch()}>
                  Being prepared… check again
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="btn btn-secondary" onClick={() => ask.mutate()} disabled={ask.isPending}>
        Ask for a copy of my data
      </button>
    </section>
  );
}

/** "Delete account": the password (and a second factor when it is on); logged out here and everywhere at once. */
export function SettingsDelete() {
  const { logout } = useSession();
  const navigate = useNavigate();
  const twoFactor = useQuery(twoFactorQuery);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [sure, setSure] = useState(false);
  const remove = useMutation({
    mutationFn: () => api<AccountDeletion>('/api/me', { method: 'DELETE', body: { password, ...(code.trim() ? secondFactor(code) : {}) } }),
    onSuccess: async () => {
      await logout();
      void navigate('/');
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (password && sure) remove.mutate();
  };
  return (
    <section className="card settings-card" aria-labelledby="settings-delete-title">
      <h2 id="settings-delete-title">Delete account</h2>
      <p className="hint settings-lead">
        Your account disappears at once and you are logged out everywhere. A few days later your name, email, profile and pictures are erased. Your messages stay in the other person&apos;s conversation, shown as from “Deleted user”. This cannot be undone; unspent credits are lost.
      </p>
      <form className="form" onSubmit={onSubmit} noValidate>
        <Field label="Password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        {twoFactor.data?.enabled && <Field label="Code from the app, or a recovery code" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} required />}
        <label className="settings-check">
          <input type="checkbox" checked={sure} onChange={(e) => setSure(e.target.checked)} /> I understand my account will be deleted for good
        </label>
        {remove.isError && (
          <p className="form-error" role="alert">
            {errorText(remove.error)}
          </p>
        )}
        <button type="submit" className="btn btn-danger" disabled={remove.isPending || !password || !sure}>
          Delete my account
        </button>
      </form>
    </section>
  );
}
