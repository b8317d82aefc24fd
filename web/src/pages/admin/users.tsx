import { useId, useState } from 'react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Role } from '../../../../shared/auth.js';
import type { AdminUserDetail, UserHistory } from '../../../../shared/reports.js';
import { LoadMore } from '../../components/load-more.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { queryString } from '../../lib/admin-api.js';
import { dateTime, signedCredits } from '../../lib/admin-format.js';
import { api } from '../../lib/api.js';
import { errorText } from '../../lib/error-text.js';
import { REASON_TEXT } from '../../lib/moderation-text.js';
import { DecisionForm } from './decision-form.js';
import { History } from './reports.js';

/** /admin/users: find a user by email, name or id; their page with standing, sessions, wallet, reports and decisions. */
export function AdminUsers() {
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const searchId = useId();
  const list = useInfiniteQuery({
    queryKey: ['admin', 'users', search],
    queryFn: ({ pageParam }) => api<{ users: UserHistory[]; nextCursor: string | null }>(`/api/admin/users${queryString({ q: search, limit: 20, cursor: pageParam })}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const users = list.data?.pages.flatMap((p) => p.users) ?? [];
  return (
    <section className="page admin-page">
      <PageTitle>Users</PageTitle>
      <form
        className="section-head"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(q.trim());
        }}
      >
        <div className="field inline-field">
          <label htmlFor={searchId}>Email, name or id</label>
          <input id={searchId} value={q} maxLength={254} onChange={(e) => setQ(e.target.value)} />
        </div>
        <button type="submit" className="btn btn-secondary">
          Search
        </button>
      </form>
      {list.isPending ? (
        <Loading label="Loading users" />
      ) : list.error ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : users.length === 0 ? (
        <Empty title="No user matches." />
      ) : (
        <ul className="dl-list">
          {users.map((u) => (
            <li key={u.userId} className="dl-item" aria-label={`User ${u.displayName}`}>
              <div className="dl-main">
                <History user={u} />
                <button type="button" className="btn btn-secondary" aria-expanded={open === u.userId} onClick={() => setOpen(open === u.userId ? null : u.userId)}>
                  {open === u.userId ? 'Close' : `Open ${u.displayName}`}
                </button>
                {open === u.userId && <UserDetail userId={u.userId} />}
              </div>
            </li>
          ))}
        </ul>
      )}
      <LoadMore list={list} />
    </section>
  );
}

function UserDetail({ userId }: { userId: string }) {
  const q = useQuery({ queryKey: ['admin', 'user', userId], queryFn: () => api<AdminUserDetail>(`/api/admin/users/${userId}`) });
  if (q.isPending) return <Loading label="Loading the user" />;
  if (q.error) return <ErrorNote error={q.error} retry={() => void q.refetch()} />;
  const d = q.data;
  return (
    <div className="user-detail">
      <p>
        {d.sessions.length} live {d.sessions.length === 1 ? 'session' : 'sessions'} · wallet {d.wallet.available} credits · earnings {d.wallet.earnings}
        {d.wallet.flagged && ` · flagged: ${d.wallet.flagged}`}
      </p>
      <h3>Recent transfers</h3>
      {d.transfers.length === 0 ? <p className="hint">None.</p> : (
        <ul>
          {d.transfers.map((t) => (
            <li key={t.id}>
              {dateTime(t.createdAt)} · {t.kind} · {signedCredits(t.credit.endsWith(userId) ? t.amount : -t.amount)}
            </li>
          ))}
        </ul>
      )}
      <h3>Reports against them</h3>
      {d.reportsAgainst.length === 0 ? <p className="hint">None.</p> : (
        <ul>
          {d.reportsAgainst.map((r) => (
            <li key={r.id}>
              {REASON_TEXT[r.reason]} · {r.subject.replace('_', ' ')} · {r.status} · {dateTime(r.createdAt)}
            </li>
          ))}
        </ul>
      )}
      <h3>Reports by them</h3>
      <p className="hint">{d.reportsBy.length === 0 ? 'None.' : d.reportsBy.map((r) => `${REASON_TEXT[r.reason]} (${r.status})`).join(', ')}</p>
      {d.user.status === 'deleted' ? (
        <p className="hint">Its owner deleted this account: it cannot be warned, suspended, banned, restored or given another role. Reports against it can still be dismissed from the reports queue.</p>
      ) : (
        <>
          <DecisionForm userId={userId} name={d.user.displayName} actions={['warn', 'suspend', 'ban', 'restore']} />
          <RoleForm userId={userId} name={d.user.displayName} role={d.user.role as Role} />
        </>
      )}
    </div>
  );
}

/** Role changes: the server refuses them unless this admin has two-factor sign-in on, and on oneself. */
function RoleForm({ userId, name, role }: { userId: string; name: string; role: Role }) {
  const qc = useQueryClient();
  const [next, setNext] = useState<Role>(role);
  const roleId = useId();
  const change = useMutation({
    mutationFn: () => api(`/api/admin/users/${userId}/role`, { method: 'PUT', body: { role: next } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['admin'] }),
  });
  return (
    <form
      className="decision-form"
      aria-label={`Role of ${name}`}
      onSubmit={(e) => {
        e.preventDefault();
        change.mutate();
      }}
    >
      <div className="field">
        <label htmlFor={roleId}>Role</label>
        <select id={roleId} value={next} onChange={(e) => setNext(e.target.value as Role)}>
          <option value="fan">Fan</option>
          <option value="creator">Creator</option>
          <option value="admin">Admin</option>
        </select>
      </div>
      <button type="submit" className="btn btn-secondary" disabled={change.isPending || next === role}>
        Change role
      </button>
      {change.error && (
        <p className="form-error" role="alert">
          {errorText(change.error)}
        </p>
      )}
    </form>
  );
}
