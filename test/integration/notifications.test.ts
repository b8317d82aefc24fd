import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NOTIFICATION_KINDS, type NotificationPreference, type NotificationView } from '../../shared/notifications.js';
import { connect, http, newUser, nextEvent, waitFor } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/** The notifications module: stored, collapsed, listed, read, live on sockets, and per-user preferences. */
let backing: Backing;
let node: InProcessNode;
const svc = () => node.pairly.services.notifications;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess(backing.env);
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

type List = { notifications: NotificationView[]; unread: number; nextCursor: string | null };

describe('notifications', () => {
  it('collapses events of one kind and subject into one notification with a count, pushed live to every device', async () => {
    const me = await newUser(node.url);
    const [a, b] = await Promise.all([connect(node.url, me.accessToken), connect(node.url, me.accessToken)]);
    const onB = nextEvent<{ notification: NotificationView; unread: number }>(b, 'notification:new');
    const first = await svc().notify(me.user.id, { kind: 'message', subject: 'conv-1', payload: { actorName: 'Ann', link: '/chat/conv-1' } });
    expect(first).toMatchObject({ kind: 'message', count: 1, text: 'A new message from Ann' });
    expect(await onB).toMatchObject({ notification: { id: first!.id, count: 1 }, unread: 1 });

    for (let i = 0; i < 9; i++) await svc().notify(me.user.id, { kind: 'message', subject: 'conv-1', payload: { actorName: 'Ann' } });
    const other = await svc().notify(me.user.id, { kind: 'message', subject: 'conv-2', payload: { actorName: 'Bob' } });
    const res = await http<List>(node.url, 'GET', '/api/notifications', { token: me.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.unread).toBe(2);
    expect(res.body.notifications.map((n) => [n.id, n.count, n.text])).toEqual([
      [other!.id, 1, 'A new message from Bob'],
      [first!.id, 10, '10 new messages from Ann'],
    ]);
    a.close();
    b.close();
  });

  it('marks one or all read (NOT_FOUND for another user\'s), tells the other devices, and starts a new one after reading', async () => {
    const me = await newUser(node.url);
    const stranger = await newUser(node.url);
    const n1 = (await svc().notify(me.user.id, { kind: 'tip', subject: 'creator-x', payload: { actorName: 'Cy', detail: '5 credits' } }))!;
    await svc().notify(me.user.id, { kind: 'like', subject: 'likes' });
    const socket = await connect(node.url, me.accessToken);

    expect((await http(node.url, 'POST', `/api/notifications/${n1.id}/read`, { token: stranger.accessToken })).body.error.code).toBe('NOT_FOUND');
    expect((await http(node.url, 'POST', '/api/notifications/not-an-id/read', { token: me.accessToken })).body.error.code).toBe('VALIDATION_FAILED');
    const told = nextEvent<{ id: string | null; unread: number }>(socket, 'notification:read');
    const one = await http(node.url, 'POST', `/api/notifications/${n1.id}/read`, { token: me.accessToken });
    expect(one.body).toEqual({ unread: 1 });
    expect(await told).toEqual({ id: n1.id, unread: 1 });

    // Read: the next tip of the same creator is news again, in a notification of its own.
    const n2 = (await svc().notify(me.user.id, { kind: 'tip', subject: 'creator-x', payload: { actorName: 'Cy' } }))!;
    expect(n2.id).not.toBe(n1.id);
    expect(n2.count).toBe(1);

    const all = await http(node.url, 'POST', '/api/notifications/read-all', { token: me.accessToken });
    expect(all.body).toEqual({ unread: 0 });
    expect((await http(node.url, 'GET', '/api/notifications/unread-count', { token: me.accessToken })).body).toEqual({ unread: 0 });
    const unreadOnly = await http<List>(node.url, 'GET', '/api/notifications?unread=true', { token: me.accessToken });
    expect(unreadOnly.body.notifications).toEqual([]);
    socket.close();
  });

  it('stops collapsing into a notification older than the collapse window', async () => {
    const me = await newUser(node.url);
    const old = (await svc().notify(me.user.id, { kind: 'new_post', subject: 'creator-y', payload: { actorName: 'Yo' } }))!;
    await pgQuery(backing.databaseUrl, `UPDATE notifications SET created_at = now() - interval '2 hours' WHERE id = $1`, [old.id]);
    const fresh = (await svc().notify(me.user.id, { kind: 'new_post', subject: 'creator-y', payload: { actorName: 'Yo' } }))!;
    expect(fresh.id).not.toBe(old.id);
    const list = await http<List>(node.url, 'GET', '/api/notifications', { token: me.accessToken });
    expect(list.body.notifications.map((n) => n.count)).toEqual([1, 1]);
  });

  it('pages with a cursor and refuses one it did not give', async () => {
    const me = await newUser(node.url);
    for (let i = 0; i < 5; i++) await svc().notify(me.user.id, { kind: 'match', subject: `user-${i}`, payload: { actorName: `P${i}` } });
    const p1 = await http<List>(node.url, 'GET', '/api/notifications?limit=3', { token: me.accessToken });
    expect(p1.body.notifications).toHaveLength(3);
    const p2 = await http<List>(node.url, 'GET', `/api/notifications?limit=3&before=${p1.body.nextCursor}`, { token: me.accessToken });
    expect(p2.body.notifications.map((n) => n.text)).toEqual(['You matched with P1', 'You matched with P0']);
    expect(p2.body.nextCursor).toBeNull();
    const bad = await http(node.url, 'GET', '/api/notifications?before=bm9wZQ', { token: me.accessToken });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('only-if-offline notifications skip a user with a connected device', async () => {
    const me = await newUser(node.url);
    const socket = await connect(node.url, me.accessToken);
    expect(await svc().notify(me.user.id, { kind: 'message', subject: 'c', ifOffline: true })).toBeNull();
    socket.close();
    // Once presence has the user offline, the same call stores it (once: null leaves nothing behind).
    const stored = await waitFor(() => svc().notify(me.user.id, { kind: 'message', subject: 'c', payload: { actorName: 'Al' }, ifOffline: true }), 10_000, 'offline');
    expect(stored!.count).toBe(1);
  });

  it('asks presence once for the recipients of messages notified in the same window, not once a message, and not for one connected here', async () => {
    const online = await newUser(node.url);
    const socket = await connect(node.url, online.accessToken);
    const offline = await Promise.all(Array.from({ length: 12 }, () => newUser(node.url)));
    const ids = new Set([online.user.id, ...offline.map((u) => u.user.id)]);
    const presence = (svc() as any).d.presence as { statuses(ids: string[]): Promise<unknown> };
    const read = vi.spyOn(presence, 'statuses');
    try {
      const results = await Promise.all([online, ...offline].map((u) => svc().notify(u.user.id, { kind: 'message', subject: 'batched', payload: { actorName: 'Bo' }, ifOffline: true })));
      expect(results[0]).toBeNull();
      expect(results.slice(1).every((n) => n?.count === 1)).toBe(true);
      // The reads that asked about the never-connected users: presence's own push flush asks about the
      // online one (it just connected) with others whose presence changed, never about these.
      const never = new Set(offline.map((u) => u.user.id));
      const ours = read.mock.calls.filter(([asked]) => asked.some((id) => never.has(id)));
      expect(ours).toHaveLength(1);
      // The connected user has a socket on this node: settled without asking presence.
      ids.delete(online.user.id);
      expect(new Set(ours[0]![0])).toEqual(ids);
    } finally {
      read.mockRestore();
      socket.close();
    }
  });

  it('keeps preferences per kind and channel: a kind turned off in-app is not stored', async () => {
    const me = await newUser(node.url);
    const defaults = await http<{ preferences: NotificationPreference[] }>(node.url, 'GET', '/api/notifications/preferences', { token: me.accessToken });
    expect(defaults.body.preferences).toHaveLength(NOTIFICATION_KINDS.length * 3);
    expect(defaults.body.preferences.find((p) => p.kind === 'like' && p.channel === 'email')?.enabled).toBe(false);
    expect(defaults.body.preferences.find((p) => p.kind === 'message' && p.channel === 'in_app')?.enabled).toBe(true);

    const put = await http<{ preferences: NotificationPreference[] }>(node.url, 'PUT', '/api/notifications/preferences', {
      token: me.accessToken,
      body: { preferences: [{ kind: 'like', channel: 'in_app', enabled: false }, { kind: 'like', channel: 'email', enabled: true }] },
    });
    expect(put.status).toBe(200);
    expect(put.body.preferences.filter((p) => p.kind === 'like')).toEqual([
      { kind: 'like', channel: 'in_app', enabled: false },
      { kind: 'like', channel: 'email', enabled: true },
      { kind: 'like', channel: 'push', enabled: false },
    ]);
    expect(await svc().notify(me.user.id, { kind: 'like', subject: 'likes' })).toBeNull();
    expect((await http<List>(node.url, 'GET', '/api/notifications', { token: me.accessToken })).body.notifications).toEqual([]);

    // The same kind and channel twice: the last one counts (found by the input sweep: it was a 500).
    const twice = await http<{ preferences: NotificationPreference[] }>(node.url, 'PUT', '/api/notifications/preferences', {
      token: me.accessToken,
      body: { preferences: [{ kind: 'message', channel: 'in_app', enabled: false }, { kind: 'message', channel: 'in_app', enabled: true }] },
    });
    expect(twice.status).toBe(200);
    expect(twice.body.preferences.find((p) => p.kind === 'message' && p.channel === 'in_app')?.enabled).toBe(true);

    for (const body of [{}, { preferences: [] }, { preferences: [{ kind: 'nope', channel: 'email', enabled: true }] }, { preferences: [{ kind: 'like', channel: 'sms', enabled: true }] }]) {
      const res = await http(node.url, 'PUT', '/api/notifications/preferences', { token: me.accessToken, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});
