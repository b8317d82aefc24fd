import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import type { NotificationView } from '../../../shared/notifications.js';
import { LoadMore } from '../components/load-more.js';
import { Empty, ErrorNote, FormError, Loading, PageTitle } from '../components/ui.js';
import { api } from '../lib/api.js';
import { notificationKeys } from '../lib/notifications.js';
import './notifications.css';

type Page = { notifications: NotificationView[]; unread: number; nextCursor: string | null };

/** /notifications: what happened, newest first (collapsed: "10 new messages"); opening one marks it read. Live through the bell's pushes. */
export default function Notifications() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const list = useInfiniteQuery({
    queryKey: notificationKeys.list,
    queryFn: ({ pageParam }) => api<Page>(`/api/notifications?limit=30${pageParam ? `&before=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const settle = (unread: number) => {
    qc.setQueryData(notificationKeys.unread, unread);
    void qc.invalidateQueries({ queryKey: notificationKeys.list });
  };
  const readAll = useMutation({ mutationFn: () => api<{ unread: number }>('/api/notifications/read-all', { method: 'POST' }), onSuccess: (r) => settle(r.unread) });
  const open = useMutation({
    mutationFn: (n: NotificationView) => api<{ unread: number }>(`/api/notifications/${n.id}/read`, { method: 'POST' }),
    onSuccess: (r, n) => {
      settle(r.unread);
      if (n.payload.link) void navigate(n.payload.link);
    },
  });
  const rows = list.data?.pages.flatMap((p) => p.notifications) ?? [];
  return (
    <section className="page narrow notifications">
      <PageTitle>Notifications</PageTitle>
      {rows.some((n) => !n.readAt) && (
        <button type="button" className="btn" onClick={() => readAll.mutate()} disabled={readAll.isPending}>
          Mark all as read
        </button>
      )}
      <FormError error={readAll.error ?? open.error} />
      {list.isPending ? (
        <Loading label="Loading notifications" />
      ) : list.error ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title="Nothing new yet." />
      ) : (
        <ul className="card notifications-list" aria-label="Notifications">
          {rows.map((n) => (
            <li key={n.id} className={n.readAt ? 'notification' : 'notification unread'}>
              <button type="button" className="notification-open" onClick={() => open.mutate(n)}>
                <span className="notification-text">{n.text}</span>
                <time className="hint" dateTime={n.updatedAt}>
                  {new Date(n.updatedAt).toLocaleString()}
                </time>
                {!n.readAt && <span className="visually-hidden">(unread)</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      <LoadMore list={list} />
    </section>
  );
}
