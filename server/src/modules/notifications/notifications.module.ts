import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { Realtime } from '../../realtime/realtime.js';
import { embeddedVapidKeys } from '../../secrets.js';
import type { MailService } from '../mail/mail.service.js';
import type { PresenceStore } from '../presence/presence.store.js';
import type { UsersStore } from '../users/users.store.js';
import { notificationsRoutes, notificationsRouteDocs } from './notifications.routes.js';
import { NotificationService } from './notifications.service.js';
import { NotificationsStore } from './notifications.store.js';
import { generateVapidKeys, WebPushSender } from './push.js';

/** Notifications: stored in-app, live on sockets, mailed (digest; security at once) and web-pushed (VAPID). */
export function notificationsModule(d: {
  config: Config;
  db: Database;
  realtime: Realtime;
  presence: Pick<PresenceStore, 'statuses'>;
  users: Pick<UsersStore, 'findById' | 'summaries'>;
  mail: Pick<MailService, 'send' | 'link'>;
  jobs: JobQueue;
  logger: Logger;
}) {
  const o = d.config.notifications;
  // Cluster nodes must share one key pair (a subscription is bound to it): without VAPID_* there is no web push there.
  const keys = o.vapid ?? (d.config.mode === 'embedded' ? embeddedVapidKeys(d.config.dataDir, generateVapidKeys) : undefined);
  const push = keys ? new WebPushSender({ keys, subject: o.vapidSubject }) : null;
  const store = new NotificationsStore(d.db);
  const service = new NotificationService({
    store,
    realtime: d.realtime,
    presence: d.presence,
    users: d.users,
    mail: d.mail,
    jobs: d.jobs,
    logger: d.logger,
    push,
    options: { collapseSeconds: o.collapseSeconds, keep: o.keep, pushHttpEndpoints: o.pushHttpEndpoints },
  });
  return {
    name: 'notifications',
    service,
    routes: (guards) => Router().use('/notifications', notificationsRoutes(guards, service)),
    docs: mountedAt('/api/notifications', notificationsRouteDocs, 'notifications'),
    jobs: {
      'notifications.digest': async () => {
        await service.sendDigests(o.digestAfterSeconds);
      },
      'notifications.push': (p) => service.deliverPush(p.notificationId),
    },
    schedules: [{ name: 'notifications.digest', payload: {}, everyMs: o.digestEverySeconds * 1000 }],
    start: () => {
      if (!push) d.logger.warn('VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY are not set: no web push in cluster mode');
    },
  } satisfies ModuleWithServices;
}
