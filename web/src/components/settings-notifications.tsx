import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, type NotificationChannel, type NotificationKind, type NotificationPreference } from '../../../shared/notifications.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { notificationKeys } from '../lib/notifications.js';
import { ErrorNote, Loading } from './ui.js';

const KIND_TEXT: Record<NotificationKind, string> = {
  message: 'Messages while I am away',
  match: 'New matches',
  like: 'Likes',
  missed_call: 'Missed calls',
  subscription_renewed: 'Subscription renewed',
  subscription_expiring: 'Subscription ending soon',
  subscription_failed: 'Subscription renewal failed',
  subscription_ended: 'Subscription ended',
  new_post: 'New posts from creators I follow',
  tip: 'Tips received',
  payout: 'Payouts',
  moderation: 'Moderation decisions',
  security: 'Security (new sign-ins, password changes)',
};
const CHANNEL_TEXT: Record<NotificationChannel, string> = { in_app: 'In Pairly', email: 'Email', push: 'Browser' };

/** This browser's push subscription, registered with Pairly (the service worker in web/public/sw.js shows them). */
async function enableBrowserPush(): Promise<void> {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) throw new Error('This browser cannot show notifications from Pairly.');
  if ((await Notification.requestPermission()) !== 'granted') throw new Error('Notifications are blocked for Pairly in this browser.');
  const { publicKey } = await api<{ publicKey: string }>('/api/notifications/push/key');
  const reg = await navigator.serviceWorker.register('/sw.js');
  const sub = (await reg.pushManager.getSubscription()) ?? (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey }));
  await api('/api/notifications/push/subscriptions', { method: 'POST', body: sub.toJSON() });
}

/** Settings: which kinds reach me in Pairly, by email and in this browser. */
export function SettingsNotifications() {
  const qc = useQueryClient();
  const prefs = useQuery({ queryKey: notificationKeys.preferences, queryFn: async () => (await api<{ preferences: NotificationPreference[] }>('/api/notifications/preferences')).preferences });
  const save = useMutation({
    mutationFn: (p: NotificationPreference) => api<{ preferences: NotificationPreference[] }>('/api/notifications/preferences', { method: 'PUT', body: { preferences: [p] } }),
    onSuccess: (r) => qc.setQueryData(notificationKeys.preferences, r.preferences),
  });
  const [pushState, setPushState] = useState<string | null>(null);
  const push = useMutation({ mutationFn: enableBrowserPush, onSuccess: () => setPushState('This browser will show Pairly notifications while Pairly is closed.') });
  const on = (kind: NotificationKind, channel: NotificationChannel) => prefs.data?.find((p) => p.kind === kind && p.channel === channel)?.enabled ?? false;
  return (
    <section className="card settings-card" aria-labelledby="settings-notifications-title">
      <h2 id="settings-notifications-title">Notifications</h2>
      <p className="hint settings-lead">What reaches you, and where. Email brings what you missed in one message when you have been away a while; security notices come at once.</p>
      <p role="status" className="settings-saved">
        {pushState ?? ''}
      </p>
      {(save.isError || push.isError) && (
        <p className="form-error" role="alert">
          {push.error instanceof Error && !('code' in push.error) ? push.error.message : errorText(save.error ?? push.error)}
        </p>
      )}
      <button type="button" className="btn" onClick={() => push.mutate()} disabled={push.isPending}>
        Turn on browser notifications
      </button>
      {prefs.isPending ? (
        <Loading label="Loading notification settings" />
      ) : prefs.isError ? (
        <ErrorNote error={prefs.error} retry={() => void prefs.refetch()} />
      ) : (
        <div className="settings-table-wrap">
          <table className="settings-table">
            <thead>
              <tr>
                <th scope="col">Notify me of</th>
                {NOTIFICATION_CHANNELS.map((c) => (
                  <th scope="col" key={c}>
                    {CHANNEL_TEXT[c]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {NOTIFICATION_KINDS.map((k) => (
                <tr key={k}>
                  <th scope="row">{KIND_TEXT[k]}</th>
                  {NOTIFICATION_CHANNELS.map((c) => (
                    <td key={c}>
                      <input
                        type="checkbox"
                        aria-label={`${KIND_TEXT[k]}: ${CHANNEL_TEXT[c]}`}
                        checked={on(k, c)}
                        disabled={save.isPending}
                        onChange={(e) => save.mutate({ kind: k, channel: c, enabled: e.target.checked })}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
