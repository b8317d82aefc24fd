import { Router } from 'express';
import { z } from 'zod';
import { notificationListQuery, notificationPreferencesBody, pushSubscriptionBody, pushUnsubscribeBody } from '../../../../shared/notifications.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { NotificationService } from './notifications.service.js';

const id = z.uuid();

/** The caller's notifications, preferences and browsers. Mounted at /api/notifications. */
export function notificationsRoutes(guards: Guards, service: NotificationService): Router {
  const r = Router();
  r.use(guards.authed);
  r.get('/', async (req, res) => {
    res.json(await service.list(principalOf(res).userId, parse(notificationListQuery, req.query)));
  });
  r.get('/unread-count', async (_req, res) => {
    res.json({ unread: await service.unreadCount(principalOf(res).userId) });
  });
  r.post('/read-all', async (_req, res) => {
    res.json(await service.markAllRead(principalOf(res).userId));
  });
  r.post('/:id/read', async (req, res) => {
    res.json(await service.markRead(principalOf(res).userId, parse(id, req.params.id)));
  });
  r.get('/preferences', async (_req, res) => {
    res.json({ preferences: await service.preferences(principalOf(res).userId) });
  });
  r.put('/preferences', async (req, res) => {
    res.json({ preferences: await service.setPreferences(principalOf(res).userId, parse(notificationPreferencesBody, req.body).preferences) });
  });
  r.get('/push/key', (_req, res) => {
    res.json(service.pushKey());
  });
  r.post('/push/subscriptions', async (req, res) => {
    await service.subscribePush(principalOf(res).userId, parse(pushSubscriptionBody, req.body));
    res.status(204).end();
  });
  r.delete('/push/subscriptions', async (req, res) => {
    await service.unsubscribePush(principalOf(res).userId, parse(pushUnsubscribeBody, req.body).endpoint);
    res.status(204).end();
  });
  return r;
}

/** Mounted at /api/notifications. */
export const notificationsRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/', summary: 'The caller\'s notifications, newest first (collapsed: one per kind and subject within NOTIFY_COLLAPSE_SECONDS, with a count), and the unread count.', auth: 'user', query: notificationListQuery, response: { status: 200, description: '{ notifications, unread, nextCursor }' } },
  { method: 'get', path: '/unread-count', summary: 'How many notifications are unread (the bell).', auth: 'user', response: { status: 200, description: '{ unread }' } },
  { method: 'post', path: '/read-all', summary: 'Mark every notification read.', auth: 'user', response: { status: 200, description: '{ unread: 0 }' } },
  { method: 'post', path: '/:id/read', summary: 'Mark one notification read.', auth: 'user', params: { id }, response: { status: 200, description: '{ unread }' } },
  { method: 'get', path: '/preferences', summary: 'Every kind × channel (in_app, email, push) and whether it is on.', auth: 'user', response: { status: 200, description: '{ preferences: [{ kind, channel, enabled }] }' } },
  { method: 'put', path: '/preferences', summary: 'Turn kinds on or off per channel; answers the whole matrix.', auth: 'user', body: notificationPreferencesBody, response: { status: 200, description: '{ preferences }' } },
  { method: 'get', path: '/push/key', summary: 'The VAPID public key a browser subscribes with (PUSH_UNAVAILABLE without web push).', auth: 'user', response: { status: 200, description: '{ publicKey }' } },
  { method: 'post', path: '/push/subscriptions', summary: "Register a browser's push subscription (PushSubscription.toJSON()).", auth: 'user', body: pushSubscriptionBody, response: { status: 204, description: 'subscribed' } },
  { method: 'delete', path: '/push/subscriptions', summary: "Remove one of the caller's push subscriptions.", auth: 'user', body: pushUnsubscribeBody, response: { status: 204, description: 'unsubscribed' } },
];
