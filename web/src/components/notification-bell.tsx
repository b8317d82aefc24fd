import { NavLink } from 'react-router';
import { useUnreadNotifications } from '../lib/notifications.js';

/** The bell in the nav: a link to /notifications with the unread count, live on every page. */
export function NotificationBell() {
  const unread = useUnreadNotifications();
  return (
    <NavLink to="/notifications" aria-label={unread > 0 ? `Notifications: ${unread} unread` : 'Notifications'} className="nav-bell">
      <span aria-hidden="true">🔔</span>
      {unread > 0 && (
        <span className="badge" style={{ marginLeft: 4 }} data-testid="notifications-unread" aria-hidden="true">
          {unread > 99 ? '99+' : unread}
        </span>
      )}
    </NavLink>
  );
}
