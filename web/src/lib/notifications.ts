import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './api.js';
import { useSession } from './session.js';
import { useSocketEvent } from './socket.js';

export const notificationKeys = {
  unread: ['notifications', 'unread'] as const,
  list: ['notifications', 'list'] as const,
  preferences: ['notifications', 'preferences'] as const,
};

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
