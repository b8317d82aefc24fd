import { useEffect, useId, useState } from 'react';
import type { AdminEventResults } from '../../../../shared/admin.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { useAdminLive } from './live.js';

type OnlineUser = AdminEventResults['admin:online']['users'][number];

const LIMIT = 50;
const DEBOUNCE_MS = 300;

/** The search box's value, settled for a moment (one admin:online per pause in typing, not per key). */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** Online users by name (or exact id), asked over the /admin socket with admin:online. */
export function OnlineUsers() {
  const { live, view } = useAdminLive();
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), DEBOUNCE_MS);
  const [result, setResult] = useState<{ q: string; users: OnlineUser[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const connected = view.state === 'connected';
  const searchId = useId();

  useEffect(() => {
    if (!connected) return;
    let current = true;
    setError(null);
    live.online(query, LIMIT).then(
      (users) => current && setResult({ q: query, users }),
      (err: unknown) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [live, query, connected, attempt]);

  const pending = !error && (result === null || result.q !== query);
  return (
    <section className="page admin-page">
      <PageTitle>Online users</PageTitle>
      <form className="admin-filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="field grow">
          <label htmlFor={searchId}>Search by name or user id</label>
          <input id={searchId} type="search" value={q} onChange={(e) => setQ(e.target.value)} maxLength={100} autoComplete="off" spellCheck={false} />
        </div>
      </form>
      {!connected && !result ? (
        view.state === 'refused' ? (
          <ErrorNote error={view.refusal} />
        ) : (
          <Loading label="Connecting to the live feed" />
        )
      ) : error ? (
        <ErrorNote error={error} retry={() => setAttempt((a) => a + 1)} />
      ) : pending && !result ? (
        <Loading label="Searching" />
      ) : result && result.users.length === 0 ? (
        <Empty title={result.q ? `Nobody online matches “${result.q}”.` : 'Nobody is online right now.'} />
      ) : result ? (
        <>
          <p className="admin-meta" role="status" aria-live="polite">
            {result.users.length === LIMIT ? `The first ${LIMIT} matches` : `${result.users.length} online${result.q ? ` matching “${result.q}”` : ''}`}
            {pending && ' — searching…'}
          </p>
          <div className="table-wrap">
            <table className="admin-table stack">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">User id</th>
                </tr>
              </thead>
              <tbody>
                {result.users.map((u) => (
                  <tr key={u.id}>
                    <td data-label="Name">{u.displayName}</td>
                    <td data-label="Role">
                      <span className={`pill pill-role-${u.role}`}>{u.role}</span>
                    </td>
                    <td data-label="Status">
                      <span className={`presence presence-${u.status}`}>{u.status}</span>
                    </td>
                    <td data-label="User id">
                      <code className="id">{u.id}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
