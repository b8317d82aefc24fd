import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { NotificationView } from '../../../shared/notifications.js';
import { api } from './api.js';
import { useSession } from './session.js';
import { useSocketEvent } from './socket.js';

export const notificationKeys = {
  unread: ['notifications', 'unread'] as const,
  list: ['notifications', 'list'] as const,
  preferences: ['notifications', 'preferences'] as const,
};

/**
 * A pushed notification into a loaded list: a collapsed one (same id, higher count) moves to the top
 * in its new form, a new one is added on top. Pure, for the list page's cache.
 */
export function mergeNotification(list: NotificationView[], n: NotificationView): NotificationView[] {
  return [n, ...list.filter((x) => x.id !== n.id)];
}

/** The bell's number: GET /api/notifications/unread-count, then kept by `notification:new` and `notification:read`. */
export function useUnreadNotifications(): number {
  const { user } = useSession();
  const qc = useQueryClient();
  useSocketEvent('notification:new', ({ unread }) => {
    qc.setQueryData(notificationKeys.unread, unread);
    void qc.invalidateQueries({ queryKey: notificationKeys.list });
  });
  useSocketEvent('notification:read', ({ unread }) => {
    qc.setQueryData(notificationKeys.unread, unread);
    void qc.invalidateQueries({ queryKey: notificationKeys.list });
  });
  const q = useQuery({
    queryKey: notificationKeys.unread,
    queryFn: async () => (await api<{ unread: number }>('/api/notifications/unread-count')).unread,
    enabled: user !== null && user.role !== 'admin',
  });
  return q.data ?? 0;
}
